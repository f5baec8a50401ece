"""`tune.sampler: grid` reseeded for every claim, as `dlkit.tuning.study.seed_sampler` does: each
combination once, whatever the seeds."""

from __future__ import annotations

import itertools

import optuna
import pytest

from dlkit.components.search import Grid


@pytest.mark.parametrize("first_seed", [0, 7, 42, 1000])
def test_the_grid_gives_each_combination_once_across_reseeded_claims(first_seed):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    grid = {"data.options.target_transform": ["none", "log"], "data.batch_size": [16, 32, 64]}
    study = optuna.create_study()
    drawn = []
    for claim in range(6):
        study.sampler = Grid().build(first_seed + claim, grid)  # a new seed per claim
        trial = study.ask()
        drawn.append(tuple(trial.suggest_categorical(key, values) for key, values in grid.items()))
        study.tell(trial, 0.0)
    assert sorted(drawn) == sorted(itertools.product(*grid.values()))
