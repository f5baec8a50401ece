"""`train.adversarial:` training on attacked examples as well as clean ones."""

from __future__ import annotations

from pydantic import Field, PositiveInt, field_validator

from dlkit.components.attacks import Attack
from dlkit.core.registries import ATTACKS
from dlkit.core.strict import Strict


class AdversarialConfig(Strict):
    """Adversarial training (Madry et al. 2018): in each training batch, `ratio` of the examples
    are replaced by attacks on them, made with the model's current weights; eps is a fraction of
    the input's scale as in `dlkit attack` (of 255 for images). Validation and the figures in
    metrics.json stay on clean examples; `dlkit attack` measures the robustness."""

    method: str = "pgd"
    """The attack (`dlkit list attacks`): pgd (with a random start) or fgsm."""
    eps: float = Field(0.1, gt=0, le=1)
    steps: PositiveInt = 7
    """PGD's steps (each 2.5 x eps / steps); each costs a forward and backward pass of the batch."""
    ratio: float = Field(0.5, gt=0, le=1)
    """The share of each batch attacked (its first examples; the batches are shuffled)."""

    @field_validator("method")
    @classmethod
    def _known(cls, method: str) -> str:
        return ATTACKS.canonical(method)

    def attack(self) -> Attack:
        entry = ATTACKS.get(self.method)
        return entry.model_validate({"steps": self.steps} if "steps" in entry.model_fields else {})
