"""`tune.sampler` (how the next trial's values are chosen) and `tune.pruner` (when a trial is
stopped early on its epoch curve). Optuna is imported only when a study is built."""

from __future__ import annotations

from pydantic import NonNegativeInt, PositiveInt

from dlkit.core.registries import PRUNERS, SAMPLERS
from dlkit.core.registry import Spec


class Sampler(Spec):
    def build(self, seed: int, grid: dict[str, list]):
        """The Optuna sampler; `grid` holds every key's values (for the grid sampler)."""
        raise NotImplementedError


@SAMPLERS.register("tpe")
class Tpe(Sampler):
    """Tree-structured Parzen estimator: random at first, then values near the best trials'."""

    startup_trials: PositiveInt = 10
    """Random trials before the model of good values takes over (Optuna's default)."""

    def build(self, seed, grid):
        import optuna

        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=self.startup_trials)


@SAMPLERS.register("random")
class Random(Sampler):
    """Independent uniform draws (log-uniform where `log: true`)."""

    def build(self, seed, grid):
        import optuna

        return optuna.samplers.RandomSampler(seed=seed)


@SAMPLERS.register("grid")
class Grid(Sampler):
    """Every combination once, in random order; needs `step` on float ranges."""

    def build(self, seed, grid):
        import itertools

        import optuna

        class GridSampler(optuna.samplers.GridSampler):
            def __init__(self, search_space, seed):
                super().__init__(search_space, seed=seed)
                # Optuna shuffles its list of combinations by the seed, and a trial's `grid_id` indexes
                # that list; dlkit reseeds the sampler for every claim (`seed_sampler`), so the list
                # must keep one order, or a later claim reads another combination at a free id (a
                # grid of two values drew the same one twice). The seeded draw among the free ids
                # still makes the order random.
                self._all_grids = list(itertools.product(*self._search_space.values()))

            def after_trial(self, study, trial, state, values):
                pass  # Optuna's stops `optimize` when the grid is done; dlkit caps the trials at its size

        return GridSampler(grid, seed=seed)


class Pruner(Spec):
    def build(self, epochs: int):
        raise NotImplementedError


@PRUNERS.register("none")
class NoPruning(Pruner):
    """Every trial trains all its epochs."""

    def build(self, epochs):
        import optuna

        return optuna.pruners.NopPruner()


@PRUNERS.register("median")
class Median(Pruner):
    """Stop a trial whose metric at an epoch is worse than the median of earlier trials there."""

    startup_trials: NonNegativeInt = 5
    """Trials that always finish, so there is a median to compare with."""
    warmup_epochs: NonNegativeInt = 0
    """Epochs of each trial never judged (early epochs are noisy)."""

    def build(self, epochs):
        import optuna

        return optuna.pruners.MedianPruner(n_startup_trials=self.startup_trials, n_warmup_steps=self.warmup_epochs)


@PRUNERS.register("hyperband")
class Hyperband(Pruner):
    """Successive halving at several budgets: many trials get few epochs, the best get all."""

    min_epochs: PositiveInt = 1
    reduction_factor: int = 3

    def build(self, epochs):
        import optuna

        return optuna.pruners.HyperbandPruner(
            min_resource=self.min_epochs, max_resource=epochs, reduction_factor=self.reduction_factor
        )
