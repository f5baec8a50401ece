"""The layer registry: every built-in Keras layer by snake_case or class name, and dlkit's own."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, StrictStr, WithJsonSchema, create_model

from dlkit.core.registries import LAYERS
from dlkit.layers import keras_table
from dlkit.layers.spec import Float, KerasLayer, LayerSpec


def _int_or_ints(value: Any) -> Any:
    """`kernel_size: 3` or `kernel_size: [3, 3]` (a bool is not an int)."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise ValueError("Input should be an integer or a list of integers")
    return value


#: The argument types `keras_layers.json` records, from Keras's docstrings and defaults. Strict:
#: a bool is not an int, a string is not a number; an int is a float.
ARG_TYPES: dict[str, Any] = {
    "int": StrictInt,
    "positive_int": Annotated[StrictInt, Field(gt=0)],
    "float": Float,
    "fraction": Annotated[Float, Field(ge=0, le=1)],
    "bool": StrictBool,
    "str": StrictStr,
    "ints": Annotated[
        Any,
        BeforeValidator(_int_or_ints),
        WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}),
    ],
}


def _keras_layer_spec(entry: dict) -> type[LayerSpec]:
    types = {arg: ARG_TYPES[tag] for arg, tag in entry["types"].items()}
    fields = {arg: (types.get(arg, Any), ...) for arg in entry["required"]}
    fields |= {arg: (types.get(arg, Any) | None, None) for arg in entry["optional"]}
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

from dlkit.layers import embeddings, ensemble, wrappers  # noqa: E402, F401  (register the numeric embeddings, tabm and ensemble_head, the wrappers)
