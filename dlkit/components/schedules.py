"""Learning-rate schedules: `train.lr_schedule: {type: cosine, warmup_epochs: 2}`.

Written in epochs; dlkit converts them to optimizer steps once it knows the batches per epoch.
The optimizer's `learning_rate` is the schedule's starting (or, after warmup, peak) rate.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from dlkit.core.backend import keras
from dlkit.core.registries import SCHEDULES
from dlkit.core.registry import Spec


class Schedule(Spec):
    def build(self, learning_rate: float, steps_per_epoch: int, epochs: int):
        """The Keras schedule for an optimizer starting at `learning_rate`."""
        raise NotImplementedError


def _steps(epochs: float, steps_per_epoch: int) -> int:
    return max(1, round(epochs * steps_per_epoch))


@SCHEDULES.register()
class Exponential(Schedule):
    """Multiply the rate by `decay_rate` every `decay_epochs` (smoothly, or in steps with `staircase`)."""

    decay_rate: float = Field(0.9, gt=0, lt=1)
    decay_epochs: PositiveFloat = 1.0
    staircase: bool = False

    def build(self, learning_rate, steps_per_epoch, epochs):
        return keras().optimizers.schedules.ExponentialDecay(
            learning_rate, _steps(self.decay_epochs, steps_per_epoch), self.decay_rate, staircase=self.staircase
        )


@SCHEDULES.register()
class Step(Schedule):
    """Multiply the rate by `factor` every `every` epochs (the classic step decay)."""

    every: PositiveInt = 10
    factor: float = Field(0.1, gt=0, lt=1)

    def build(self, learning_rate, steps_per_epoch, epochs):
        drops = range(self.every, epochs, self.every)
        values = [learning_rate * self.factor**i for i in range(len(drops) + 1)]
        return _piecewise([e * steps_per_epoch for e in drops], values)


@SCHEDULES.register()
class Piecewise(Schedule):
    """Explicit rates: `values[i]` until epoch `boundaries[i]`, the last value after."""

    boundaries: list[PositiveInt]
    """Epochs where the rate changes, increasing."""
    values: list[PositiveFloat]
    """One more rate than boundaries; the optimizer's learning_rate is not used."""

    @model_validator(mode="after")
    def _one_more_value(self) -> Piecewise:
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(f"values needs {len(self.boundaries) + 1} rates for {len(self.boundaries)} boundaries")
        if self.boundaries != sorted(set(self.boundaries)):
            raise ValueError("boundaries must be increasing epochs")
        return self

    def build(self, learning_rate, steps_per_epoch, epochs):
        return _piecewise([b * steps_per_epoch for b in self.boundaries], self.values)


def _piecewise(boundaries: list[int], values: list[float]):
    """Keras keeps `values[i]` up to and including step `boundaries[i]`; dlkit's boundary is the
    first step with the next value."""
    if not boundaries:
        return values[0]
    return keras().optimizers.schedules.PiecewiseConstantDecay([b - 1 for b in boundaries], values)


@SCHEDULES.register()
class Cosine(Schedule):
    """Linear warmup from 0 over `warmup_epochs`, then cosine decay to `alpha` x the rate by the last epoch."""

    warmup_epochs: NonNegativeFloat = 0.0
    alpha: float = Field(0.0, ge=0, lt=1)
    """The final rate as a fraction of the peak."""
    decay_epochs: PositiveFloat | None = None
    """Epochs of decay after warmup; default: the rest of training."""

    def build(self, learning_rate, steps_per_epoch, epochs):
        warmup = round(self.warmup_epochs * steps_per_epoch)
        decay = self.decay_epochs or max(epochs - self.warmup_epochs, 1 / steps_per_epoch)
        schedules = keras().optimizers.schedules
        if not warmup:
            return schedules.CosineDecay(learning_rate, _steps(decay, steps_per_epoch), alpha=self.alpha)
        return schedules.CosineDecay(
            0.0,
            _steps(decay, steps_per_epoch),
            alpha=self.alpha,
            warmup_target=learning_rate,
            warmup_steps=warmup,
        )
