"""What a `tune.space` key may take: `{type: float, low: 1.0e-4, high: 0.1, log: true}`, `int`,
`categorical`. Optuna samples them in a trial; nothing here imports it."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, PositiveFloat, PositiveInt, StrictBool, model_validator

from dlkit.core.registries import DISTRIBUTIONS
from dlkit.core.registry import Spec

#: What a categorical choice may be: Optuna stores these as they are.
Choice = StrictBool | int | float | str | None


class Distribution(Spec):
    def suggest(self, trial, key: str) -> Any:
        """The trial's value for `key` (an `optuna.Trial` samples it)."""
        raise NotImplementedError

    def extremes(self) -> list:
        """The values checked against the config before the first trial."""
        raise NotImplementedError

    def grid(self) -> list | None:
        """Every value, for the grid sampler; None for a continuous range."""
        raise NotImplementedError


class _Range(Distribution):
    @model_validator(mode="after")
    def _ordered(self):
        if self.low > self.high:
            raise ValueError(f"low must not exceed high. Received: low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"log: true needs low > 0. Received: low={self.low}")
        return self

    def extremes(self) -> list:
        return [self.low, self.high]


@DISTRIBUTIONS.register("float")
class FloatRange(_Range):
    """A real number in [low, high]; `log: true` for scales like learning rates, `step` for a grid."""

    low: float
    high: float
    log: bool = False
    """Sample the logarithm uniformly: 1e-4..1e-1 tries each decade as often."""
    step: PositiveFloat | None = None

    @model_validator(mode="after")
    def _step_or_log(self):
        if self.step is not None and self.log:
            raise ValueError("step and log: true do not go together")
        return self

    def suggest(self, trial, key):
        return trial.suggest_float(key, self.low, self.high, log=self.log, step=self.step)

    def grid(self):
        if self.step is None:
            return None
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        return [round(self.low + i * self.step, 12) for i in range(count)]


@DISTRIBUTIONS.register("int")
class IntRange(_Range):
    """A whole number in [low, high], every `step`; `log: true` for sizes like units or filters."""

    low: int
    high: int
    step: PositiveInt = 1
    log: bool = False

    @model_validator(mode="after")
    def _step_or_log(self):
        if self.step != 1 and self.log:
            raise ValueError("step and log: true do not go together")
        return self

    def suggest(self, trial, key):
        return trial.suggest_int(key, self.low, self.high, step=self.step, log=self.log)

    def grid(self):
        return list(range(self.low, self.high + 1, self.step))


@DISTRIBUTIONS.register("categorical")
class Categorical(Distribution):
    """One of `choices`: numbers, strings (`adam`, `relu`), booleans or null."""

    choices: list[Choice] = Field(min_length=1)

    def suggest(self, trial, key):
        return trial.suggest_categorical(key, self.choices)

    def extremes(self):
        return list(self.choices)

    def grid(self):
        return list(self.choices)
