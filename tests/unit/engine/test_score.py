"""Scoring the baselines: off when asked, the same for the same seed."""

import numpy as np

from dlkit.config.loader import parse_config
from dlkit.engine.prepare import prepare_data
from dlkit.engine.score import score_baselines
from dlkit.engine.task import task_of
from helpers.baselines import _config, _noise_table


def test_baselines_off_and_seeded(tmp_path):
    path = _noise_table(tmp_path / "noise.csv")
    config = parse_config(_config("noise", "classification", {"path": str(path), "target": "label"}, units=2))
    data = prepare_data(config)
    first, again = (task_of(config).baselines(data, ["test"]) for _ in range(2))
    assert [b.name for b in first] == ["majority", "logistic", "hist_gradient_boosting"]
    for one, other in zip(first, again, strict=True):
        np.testing.assert_array_equal(one.outputs["test"], other.outputs["test"])
    config.eval.baselines = False
    assert score_baselines(config, data, ["val", "test"]) == {}
