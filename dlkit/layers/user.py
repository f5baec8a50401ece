"""A user's Keras layer class as an entry of the layer registry (`dlkit.register_layer`)."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from pydantic import create_model

from dlkit.core.registries import LAYERS
from dlkit.core.registry import first_sentence, snake_case
from dlkit.layers import LayerSpec

#: What Keras's registry calls the classes of plug-ins (`dlkit_plugins>MyLayer`).
PACKAGE = "dlkit_plugins"
_PLAIN = {t.__name__: t for t in (bool, int, float, str)}


def register_layer(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    """Class decorator: register `cls` (a `keras.layers.Layer` subclass) with Keras, so models
    holding it load in safe mode, and as a layer entry whose keys are its constructor's arguments
    (typed where the signature says int, float, bool or str)."""

    def decorator(cls: type) -> type:
        from dlkit.core.backend import keras

        keras().saving.register_keras_serializable(package=PACKAGE)(cls)
        fields: dict[str, Any] = {}
        for param in inspect.signature(cls.__init__).parameters.values():
            if param.name in ("self", "name") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = param.annotation
            kind = _PLAIN.get(annotation if isinstance(annotation, str) else getattr(annotation, "__name__", ""), Any)
            fields[param.name] = (kind, ... if param.default is param.empty else param.default)
        spec = create_model(cls.__name__, __base__=_UserLayer, **fields)
        spec.layer_class = cls
        LAYERS.add(name or snake_case(cls.__name__), spec, summary=first_sentence(cls.__doc__), aliases=aliases)
        return cls

    return decorator


class _UserLayer(LayerSpec):
    """A plug-in's layer: `build` makes the registered class with the configured arguments."""

    layer_class: ClassVar[type | None] = None

    def build(self):
        return type(self).layer_class(name=self.name, **self.layer_args())
