"""The built-in Keras layers' names and arguments, kept as data so that `dlkit validate` can check a
model's layers without importing TensorFlow.

`keras_layers.json` is generated from the installed Keras by `python -m dlkit.layers`;
a test regenerates it and fails when Keras changed, so it cannot drift silently.
"""

from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path

from dlkit.registry import snake_case

TABLE_PATH = Path(__file__).with_name("keras_layers.json")

#: Layers whose arguments are Python objects (functions, other layers, foreign modules) that a
#: YAML file cannot hold safely, plus bases that are not layers by themselves.
EXCLUDED = {
    "Layer",
    "InputLayer",
    "Lambda",
    "Wrapper",
    "Pipeline",
    "RNN",
    "StackedRNNCells",
    "Bidirectional",
    "TimeDistributed",
    "SpectralNormalization",
    "FlaxLayer",
    "JaxLayer",
    "TorchModuleWrapper",
    "TFSMLayer",
}

#: Arguments every Keras layer takes through `Layer.__init__` (`name` is dlkit's own `name:`).
BASE_ARGS = ["trainable", "dtype", "autocast", "activity_regularizer"]


def generate() -> dict:
    """Read names, aliases and arguments off the installed `keras.layers`."""
    from dlkit.backend import keras

    layers = keras().layers
    by_class: dict[type, list[str]] = {}
    for public in sorted(dir(layers)):
        obj = getattr(layers, public)
        if inspect.isclass(obj) and issubclass(obj, layers.Layer):
            if public not in EXCLUDED and not public.endswith("Cell"):
                by_class.setdefault(obj, []).append(public)
    table = {}
    for cls, publics in by_class.items():
        primary = cls.__name__ if cls.__name__ in publics else publics[0]
        params = inspect.signature(cls.__init__).parameters.values()
        params = [p for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        required = [p.name for p in params if p.default is p.empty]
        optional = [p.name for p in params if p.default is not p.empty and p.name != "name"]
        doc = (cls.__doc__ or "").strip().splitlines()
        table[snake_case(primary)] = {
            "class": primary,
            "aliases": sorted({snake_case(p) for p in publics} - {snake_case(primary)}),
            "required": required,
            "optional": optional + [a for a in BASE_ARGS if a not in optional],
            "summary": doc[0] if doc else "",
        }
    return dict(sorted(table.items()))


@functools.cache
def load() -> dict:
    return json.loads(TABLE_PATH.read_text())


def write() -> None:
    TABLE_PATH.write_text(json.dumps(generate(), indent=1) + "\n")
