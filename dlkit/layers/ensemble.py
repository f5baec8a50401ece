"""The ensemble layers' entries (`tabm`, `ensemble_head`): their keys, checked without TensorFlow,
and `build`, which makes the Keras layers of `dlkit.layers.members`.

```yaml
model:
  layers:
    - {type: tabm, units: [256, 256], k: 32, dropout: 0.1}   # (batch, 32, 256): 32 members
    - {type: ensemble_head, units: 1}                        # each member's head, their mean
```"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from dlkit.core.registries import LAYERS
from dlkit.layers.spec import Float, LayerSpec

PositiveInt = Annotated[StrictInt, Field(ge=1)]


@LAYERS.register("tabm")
class TabMLayer(LayerSpec):
    """TabM: an MLP of k members sharing each weight matrix, member i with its own scales and biases
    (BatchEnsemble); end it with `ensemble_head`."""

    units: list[PositiveInt] = Field(min_length=1)
    """Each hidden layer's size, e.g. [256, 256]: every member has these layers."""
    k: PositiveInt = 32
    """How many members (TabM's default 32). Each adds its own scales, biases and head, about 3
    numbers per unit, not a copy of the weight matrices; the compute grows with k."""
    dropout: Annotated[Float, Field(ge=0, lt=1)] = 0.0
    """Dropout after each hidden layer, drawn for every member apart."""
    activation: StrictStr = "relu"
    """Of each hidden layer (a Keras activation name)."""
    adapters: Literal["full", "mini"] = "full"
    """full: every layer's input and output scales and bias per member (TabM); mini: only a scale of
    the input per member, the rest shared (TabM-mini, fewer weights)."""
    first_adapter_init: Literal["random_signs", "normal"] = "random_signs"
    """How the members' first input scales start: random signs (TabM's default for plain features)
    or a standard normal (TabM's choice after numeric embeddings); the other scales start at 1."""

    def build(self):
        from dlkit.layers.members import TabM

        return TabM(name=self.name, **_arguments(self))


@LAYERS.register("ensemble_head")
class EnsembleHeadLayer(LayerSpec):
    """The output layer of an ensemble (after `tabm`): each member's own dense layer, and their
    mean; in training each member learns from its own loss (TabM)."""

    units: PositiveInt
    """Outputs per example, as a last dense layer's: one per class, or per target."""
    activation: StrictStr | None = None
    """Applied to each member's outputs before the mean (softmax, sigmoid: probabilities are averaged)."""
    member_loss: StrictBool = True
    """true: each member is trained on its own loss and the training loss is their mean (TabM; the
    members stay diverse); false: the loss of the members' mean, as for one network."""

    @property
    def trains_members(self) -> bool:
        return self.member_loss

    def build(self):
        from dlkit.layers.members import EnsembleHead

        return EnsembleHead(name=self.name, **_arguments(self))


def _arguments(spec: LayerSpec) -> dict:
    """Every argument with this entry's defaults (the resolved config shows only those set)."""
    return {name: getattr(spec, name) for name in type(spec).model_fields if name not in ("name", "inputs")}
