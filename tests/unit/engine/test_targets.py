"""`dlkit validate` knows the task from the data: labels of the wrong kind for the task are one line
naming the key, the column or folder, a value and the task to set; labels that fit pass; whole-number
floats stay classes."""

import numpy as np

from conftest import write_config
from dlkit.config import parse_config
from dlkit.engine.prepare import prepare_data
from helpers.validate_task import penguins, ratings


def test_float_labels_that_are_whole_numbers_stay_classes(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 3)).astype("float32")
    np.savez(tmp_path / "d.npz", x_train=x, y_train=rng.integers(0, 3, 60).astype("float64"))
    config = parse_config(
        {
            "data": {"dataset": "npz", "options": {"path": str(tmp_path / "d.npz"), "kind": "array"}},
            "model": {"layers": [{"type": "dense", "units": 3}]},
        }
    )
    assert prepare_data(config).class_names == ["0", "1", "2"]  # named as integers, as predict reads them


def test_labels_that_fit_the_task_pass(tmp_path, cli):
    config, _ = penguins(tmp_path)
    config["task"] = "classification"
    config["model"]["layers"] = [{"type": "dense", "units": 3, "activation": "softmax"}]
    assert cli("validate", write_config(tmp_path, config)).exit_code == 0
    config, _ = ratings(tmp_path)
    config["task"] = "regression"
    assert cli("validate", write_config(tmp_path, config)).exit_code == 0
