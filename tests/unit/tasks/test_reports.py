"""The report beyond the metrics, from fixed outputs: one residual plot for several regression
targets; no ROC where a binary split has one class."""

import numpy as np

from dlkit.config.loader import parse_config
from dlkit.data.splits import Split
from dlkit.engine.task import task_of
from helpers.eval_report import BINARY, REGRESSION, _is_png


def test_several_regression_targets_share_one_residual_plot(tmp_path):
    config = parse_config({**REGRESSION, "model": {"layers": [{"type": "dense", "units": 2}]}})
    y = np.random.default_rng(0).normal(size=(40, 2)).astype("float32")
    assert task_of(config).write_report(Split(np.zeros((40, 3)), y), y + 0.1, [], tmp_path, "test split") == {}
    assert _is_png(tmp_path / "residuals.png")


def test_roc_is_left_out_where_a_split_has_one_class(tmp_path):
    config = parse_config(BINARY)
    y, logits = np.zeros(10, dtype="int64"), np.linspace(-2, 2, 10)[:, None]
    assert "roc_auc" not in task_of(config).report(y, logits)
    report = task_of(config).write_report(Split(np.zeros((10, 3)), y), logits, ["malignant", "benign"], tmp_path, "t")
    assert "roc_curve" not in report and not (tmp_path / "roc_curve.png").exists()
