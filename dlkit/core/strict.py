"""The base of every config model: unknown keys are errors at their own dotted path, with a hint."""

from __future__ import annotations

import difflib
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

#: Names users bring from other frameworks (PyTorch above all): foreign name -> (what dlkit calls it,
#: or None when Keras needs nothing; a name that must be valid where it is written, so that `p`
#: means dropout's rate only where there is a `rate`; why).
FOREIGN_NAMES: dict[str, tuple[str | None, str, str]] = {
    "linear": ("dense", "dense", "PyTorch's Linear is Keras's Dense"),
    "batch_norm1d": ("batch_normalization", "batch_normalization", "PyTorch's BatchNorm is Keras's BatchNormalization"),
    "batch_norm2d": ("batch_normalization", "batch_normalization", "PyTorch's BatchNorm is Keras's BatchNormalization"),
    "dropout2d": ("spatial_dropout2d", "spatial_dropout2d", "PyTorch's Dropout2d is Keras's SpatialDropout2D"),
    "out_channels": ("filters", "filters", "PyTorch's out_channels is Keras's filters"),
    "out_features": ("units", "units", "PyTorch's out_features is Keras's units"),
    "hidden_size": ("units", "units", "PyTorch's hidden_size is Keras's units"),
    "bias": ("use_bias", "use_bias", "PyTorch's bias is Keras's use_bias"),
    "p": ("rate", "rate", "PyTorch's dropout p is Keras's rate"),
    "lr": ("learning_rate", "learning_rate", "PyTorch's lr is Keras's learning_rate"),
    "in_channels": (None, "filters", "Keras infers the input channels from the previous layer; remove it"),
    "in_features": (None, "units", "Keras infers the input size from the previous layer; remove it"),
    "input_size": (None, "units", "Keras infers the input size from the previous layer; remove it"),
    "batch_first": (None, "units", "Keras always puts the batch first; remove it"),
}


def loose_key(name: str) -> str:
    """A name as registries and hints match it: `max_pooling2d`, `MaxPooling2D`, `max-pooling2d` alike."""
    return name.replace("_", "").replace("-", "").lower()


_FOREIGN = {loose_key(name): entry for name, entry in FOREIGN_NAMES.items()}


def listed(items, limit: int = 10) -> str:
    """`a, b, c` or, past `limit` items, `a, b, ..., j and 7 more`: lists in messages stay short."""
    items = [str(item) for item in items]
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} and {len(items) - limit:,} more"


def clipped(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to about `limit` characters: a user's value echoed in a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def did_you_mean(word: str, choices, *, listing: bool = True) -> str:
    """`did you mean 'filters'?` (with the reason when `word` is another framework's name for it),
    or the valid names when nothing is close."""
    choices = sorted(str(c) for c in choices)
    instead, needs, why = _FOREIGN.get(loose_key(str(word)), (None, None, ""))
    if needs in choices:
        return f"did you mean {instead!r}? ({why})" if instead else why
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"valid: {listed(choices)}" if listing and choices else ""


def raise_at(loc: tuple, message: str, value: Any = None) -> NoReturn:
    """Fail validation at `loc`, relative to the model being validated; pydantic prefixes the rest."""
    detail = InitErrorDetails(type=PydanticCustomError("dlkit", message), loc=loc, input=value)
    raise ValidationError.from_exception_data("config", [detail])


class Strict(BaseModel):
    """A config mapping whose keys are exactly its fields."""

    model_config = ConfigDict(extra="forbid", validate_default=True, defer_build=True)
    #: Keys that mean something elsewhere (another task's), refused with this reason.
    refused: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            fields = set(cls.model_fields)
            errors = [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "dlkit", cls.refused.get(key) or f"unknown key; {did_you_mean(key, fields)}"
                    ),
                    loc=(key,),
                    input=value,
                )
                for key, value in data.items()
                if key not in fields
            ]
            if errors:
                raise ValidationError.from_exception_data(cls.__name__, errors)
        return data
