"""The `tune` section: the direction follows the metric."""

from __future__ import annotations

from conftest import TINY, write_config
from helpers.tune import tune_config


def test_direction_follows_the_metric(tmp_path):
    from dlkit.config import load_config

    assert load_config(tune_config(tmp_path, metric="val_loss")).tune.direction == "minimize"
    assert load_config(tune_config(tmp_path)).tune.direction == "maximize"
    assert load_config(tune_config(tmp_path, metric=None)).tune.metric == "val_loss"  # the checkpoint's monitor
    assert "tune" not in load_config(write_config(tmp_path, TINY, "plain.yaml")).model_dump()
