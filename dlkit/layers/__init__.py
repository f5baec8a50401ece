"""The layer registry: every built-in Keras layer by snake_case or class name, and dlkit's own."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from pydantic import create_model

from dlkit.layers import keras_table
from dlkit.registry import KerasSpec, Registry, Spec

LAYERS = Registry("layer", "layers")


class LayerSpec(Spec):
    """A layer entry of `model.layers`. `name:` labels it; `inputs:` takes named earlier outputs
    (`input` is the model's input) instead of the previous layer's, which makes the model a graph."""

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


def _keras_layer_spec(entry: dict) -> type[LayerSpec]:
    fields = {arg: (Any, ...) for arg in entry["required"]}
    fields |= {arg: (Any, None) for arg in entry["optional"]}
    spec = create_model(entry["class"], __base__=KerasLayer, **fields)
    spec.keras_class = entry["class"]
    return spec


for _name, _entry in keras_table.load().items():
    LAYERS.add(
        _name,
        functools.partial(_keras_layer_spec, _entry),
        summary=_entry["summary"],
        aliases=_entry["aliases"],
        lazy=True,
    )
