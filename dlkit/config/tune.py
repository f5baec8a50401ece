"""`tune:` the hyperparameter search `dlkit tune` runs over this config (`dlkit train` ignores it)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from dlkit.core.registries import DISTRIBUTIONS, PRUNERS, SAMPLERS
from dlkit.core.strict import Strict, raise_at


class TuneConfig(Strict):
    metric: str | None = None
    """The logged quantity a trial is judged by (its best epoch); default: train.checkpoint.monitor."""
    direction: Literal["minimize", "maximize"] | None = None
    """Default: maximize accuracy-like metrics, minimize losses and errors."""
    trials: PositiveInt = 20
    """How many trials the study should hold in the end (finished, pruned or failed)."""
    sampler: SAMPLERS.field = "tpe"
    pruner: PRUNERS.field = "median"
    lost_after: PositiveInt = 1800
    """Seconds after which a trial of another machine that has ended no epoch is taken as lost and
    its values are tried again (a trial of this machine is lost when its process is gone). Keep it
    above the time of the slowest epoch plus a trial's start."""
    space: dict[str, DISTRIBUTIONS.field] = Field(min_length=1)
    """Dotted config keys, as `--set` writes them, each with the values it may take."""

    @model_validator(mode="after")
    def _grid_is_finite(self) -> TuneConfig:
        if self.sampler.type_name == "grid":
            for key, distribution in self.space.items():
                if distribution.grid() is None:
                    raise_at(("space", key), "the grid sampler needs a step on every float range")
        return self

    def grid(self) -> dict[str, list]:
        """Every key's values (the grid sampler's search space); empty unless all are finite."""
        values = {key: d.grid() for key, d in self.space.items()}
        return values if all(v is not None for v in values.values()) else {}

    def grid_size(self) -> int | None:
        if self.sampler.type_name != "grid":
            return None
        size = 1
        for values in self.grid().values():
            size *= len(values)
        return size
