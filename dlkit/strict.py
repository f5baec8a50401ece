"""The base of every config model: unknown keys are errors at their own dotted path, with a hint."""

from __future__ import annotations

import difflib
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError


def did_you_mean(word: str, choices, *, listing: bool = True) -> str:
    """`did you mean 'filters'?`, or the valid names when nothing is close."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"valid: {', '.join(choices)}" if listing and choices else ""


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
