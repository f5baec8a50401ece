"""The metrics a task offers: classification no mask metrics, regression trains on r2."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_config
from helpers.iris import TABLE, _iris_csv


def test_classification_offers_no_mask_metrics_and_regression_trains_on_r2(tmp_path, cli):
    wrong = {**TABLE, "train": {**TABLE["train"], "metrics": ["mae"]}}
    _iris_csv(tmp_path)
    result = cli("validate", write_config(tmp_path, wrong))
    assert result.exit_code == 2
    offered = result.stderr.split("metrics for task 'classification':")[1]
    assert "accuracy" in offered and "dice" not in offered and "mean_iou" not in offered

    regression = {
        "name": "r2",
        "task": "regression",
        "data": {"dataset": "diabetes", "batch_size": 64},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"epochs": 1, "metrics": ["mae", "r2"], "checkpoint": {"monitor": "val_r2"}},
    }
    result = cli("train", write_config(tmp_path, regression), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert "val_r2" in (run_dir / "history.csv").read_text().splitlines()[0]
    assert json.loads((run_dir / "run.json").read_text())["best"].keys() == {"val_r2"}
