"""scikit-learn's bundled tables trained end to end."""

import json

import pytest

from conftest import TINY, write_config


@pytest.mark.parametrize("name", ["iris", "diabetes"])
def test_a_table_trains_end_to_end(tmp_path, cli, name):
    regression = name == "diabetes"
    data = {
        **TINY,
        "task": "regression" if regression else "classification",
        "data": {"dataset": name, "split": {"validation": 0.1, "test": 0.2}, "batch_size": 32},
        "model": {"layers": [{"type": "dense", "units": 1 if regression else 3}]},
        "train": {**TINY["train"], "epochs": 1},
    }
    if not regression:
        data["model"]["layers"][0]["activation"] = "softmax"
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run = json.loads((tmp_path / "runs" / "latest" / "run.json").read_text())
    assert (run["input"]["kind"], run["input"]["shape"]) == ("array", [10 if regression else 4])
    assert (run.get("classes") or []) == ([] if regression else ["setosa", "versicolor", "virginica"])
    metrics = json.loads((tmp_path / "runs" / "latest" / "metrics.json").read_text())
    assert ("mae" if regression else "accuracy") in metrics["test"]
