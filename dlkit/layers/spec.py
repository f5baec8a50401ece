"""The layer registry and what its entries are: a layer of `model.layers` (`LayerSpec`), a
built-in Keras layer (`KerasLayer`). Apart from the package, so that modules registering layers
of their own (wrappers) need not import the package that imports them."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, StrictFloat

from dlkit.core.registry import KerasSpec, Spec


def _yaml_float(value: Any) -> Any:
    """PyYAML reads `1e-3` (no dot) as a string; take it as the number it is meant to be."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+\s*", value):
        return float(value)
    return value


#: A layer argument that is a number: strict (a bool or a string is not), YAML's `1e-3` included.
Float = Annotated[StrictFloat, BeforeValidator(_yaml_float)]


class LayerSpec(Spec):
    """A layer entry of `model.layers`. `name:` labels it; `inputs:` takes named earlier outputs
    (`input` is the model's input; `columns.NAME` one column of a table, as encoded) instead of
    the previous layer's, which makes the model a graph."""

    # The resolved config shows what the user wrote, not every Keras default.
    dump_defaults: ClassVar[bool] = False

    name: str | None = None
    inputs: list[str] | None = None

    @property
    def trains_members(self) -> bool:
        """Whether a training call of the layer gives each ensemble member's outputs on a new axis 1
        (its other calls their mean), so that the trainer takes each member's loss
        (`dlkit.training.addons.ensemble`)."""
        return False

    def layer_args(self) -> dict[str, Any]:
        """The arguments for the Keras layer: what the user set, minus the graph keys."""
        return {k: v for k, v in self.args().items() if k not in ("name", "inputs")}


class KerasLayer(LayerSpec, KerasSpec):
    """A built-in Keras layer; its fields mirror the layer's constructor."""

    keras_module = "layers"

    def build(self):
        return self.keras_type()(name=self.name, **self.layer_args())
