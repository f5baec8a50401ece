"""`train.prune`: which kernels are pruned, to what sparsity, over which epochs (the pruning itself:
`dlkit.training.addons.prune`)."""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from dlkit.core.registry import UnknownNameError
from dlkit.core.strict import Strict, raise_at


class PruneConfig(Strict):
    target_sparsity: float = Field(ge=0, lt=1)
    """The share of each pruned kernel's weights that end as zeros (0.8: four in five)."""
    start_epoch: NonNegativeInt = 0
    """Epochs trained dense before pruning starts (0: from the first step)."""
    end_epoch: PositiveInt
    """The target sparsity is reached when this many epochs are done (at most `train.epochs`);
    the epochs after it fine-tune the pruned model. `model.keras` is the best of the epochs from
    this one on."""
    frequency: PositiveInt = 100
    """Prune every this many training steps between the start and the end (and at the end)."""
    layers: list[str] = Field(["dense", "conv2d"], min_length=1)
    """The layer types whose kernels are pruned (biases are not); every layer of these types is."""

    @model_validator(mode="after")
    def _check(self) -> PruneConfig:
        from dlkit.core.registries import LAYERS

        for i, name in enumerate(self.layers):
            try:
                self.layers[i] = LAYERS.canonical(name)
            except UnknownNameError as e:
                raise_at(("layers", i), str(e), name)
        if self.start_epoch >= self.end_epoch:
            raise_at(
                ("start_epoch",),
                f"must be before end_epoch ({self.end_epoch}): pruning goes from start_epoch to end_epoch",
                self.start_epoch,
            )
        return self

    def check_against(self, train) -> None:
        """What spans `train:`: the end within the epochs; no early stop before the target is reached."""
        if self.end_epoch > train.epochs:
            raise_at(
                ("prune", "end_epoch"),
                f"{self.end_epoch} is past train.epochs ({train.epochs}): pruning must reach its target in training",
                self.end_epoch,
            )
        for i, callback in enumerate(train.callbacks):
            if callback.type_name == "early_stopping" and callback.start_from_epoch < self.end_epoch - 1:
                raise_at(
                    ("callbacks", i, "start_from_epoch"),
                    f"early stopping could end the run before pruning reaches its target (end_epoch "
                    f"{self.end_epoch}); set start_from_epoch: {self.end_epoch - 1} or more",
                    callback.start_from_epoch,
                )
