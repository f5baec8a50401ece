"""The layer registry and what its entries are: a layer of `model.layers` (`LayerSpec`), a
built-in Keras layer (`KerasLayer`). Apart from the package, so that modules registering layers
of their own (wrappers) need not import the package that imports them."""

from __future__ import annotations

from typing import Any, ClassVar

from dlkit.core.registry import KerasSpec, Spec


class LayerSpec(Spec):
    """A layer entry of `model.layers`. `name:` labels it; `inputs:` takes named earlier outputs
    (`input` is the model's input; `columns.NAME` one column of a table, as encoded) instead of
    the previous layer's, which makes the model a graph."""

    # The resolved config shows what the user wrote, not every Keras default.
    dump_defaults: ClassVar[bool] = False

    name: str | None = None
    inputs: list[str] | None = None

    def layer_args(self) -> dict[str, Any]:
        """The arguments for the Keras layer: what the user set, minus the graph keys."""
        return {k: v for k, v in self.args().items() if k not in ("name", "inputs")}


class KerasLayer(LayerSpec, KerasSpec):
    """A built-in Keras layer; its fields mirror the layer's constructor."""

    keras_module = "layers"

    def build(self):
        return self.keras_type()(name=self.name, **self.layer_args())
