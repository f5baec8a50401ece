"""Keras's layer wrappers, each holding an inner layer that is itself a registry entry:
`{type: bidirectional, layer: {type: lstm, units: 64}}`, `{type: time_distributed, layer: ...}`.
The inner entry is validated as any layer (did-you-mean on its type and keys, errors at
`model.layers.2.layer.units`), so YAML never names a Python object."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import StrictBool, model_validator

from dlkit.core.registries import LAYERS
from dlkit.core.strict import raise_at
from dlkit.layers.spec import KerasLayer


class _Wrapper(KerasLayer):
    """A wrapper: the inner layer is built first and handed to the Keras class."""

    layer: LAYERS.field
    """The wrapped layer: a layer entry like those of `model.layers` (without `name:`/`inputs:`)."""
    trainable: StrictBool | None = None

    @model_validator(mode="after")
    def _inner_is_not_wired(self):
        for key in ("layer", "backward_layer"):
            inner = getattr(self, key, None)
            if inner is not None and inner.inputs is not None:
                raise_at((key, "inputs"), "a wrapped layer takes the wrapper's input; put `inputs:` on the wrapper")
        return self

    def wrapped_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.layer_args().items() if k != "layer"}

    def build(self):
        return self.keras_type()(self.layer.build(), name=self.name, **self.wrapped_args())


@LAYERS.register("bidirectional")
class Bidirectional(_Wrapper):
    """Bidirectional wrapper for RNNs: one copy reads the sequence forwards, one backwards."""

    keras_class = "Bidirectional"
    merge_mode: Literal["sum", "mul", "concat", "ave"] | None = None
    """How the two directions' outputs combine (Keras's default: concat); null returns both."""
    backward_layer: LAYERS.field | None = None
    """The backward direction's own layer (default: a copy of `layer` reading backwards)."""

    def wrapped_args(self) -> dict[str, Any]:
        args = super().wrapped_args()
        if self.backward_layer is not None:
            args["backward_layer"] = self.backward_layer.build()
        return args


@LAYERS.register("time_distributed")
class TimeDistributed(_Wrapper):
    """Applies the wrapped layer to every temporal slice of its input (axis 1)."""

    keras_class = "TimeDistributed"
