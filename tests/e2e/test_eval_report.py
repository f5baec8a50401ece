"""The report beyond the metrics: the ROC curve and `roc_auc` for binary runs, the residual plot for
regression, in `plots/` at the end of training and in `eval/` from `dlkit eval`."""

import json

import keras
import pytest
from sklearn import metrics as skm
from typer.testing import CliRunner

from conftest import write_config
from dlkit.cli import app
from dlkit.config import load_config
from dlkit.engine.prepare import prepare_data
from helpers.eval_report import BINARY, _is_png
from helpers.runs import copy_run


def _train(folder, data):
    result = CliRunner().invoke(app, ["train", str(write_config(folder, data)), "--runs-dir", str(folder), "-q"])
    assert result.exit_code == 0, result.stderr
    return (folder / "latest").resolve()


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("binary"), BINARY)


@pytest.fixture(scope="module")
def regression_run(regression_run, tmp_path_factory):
    """The session's regression table run, copied: `dlkit eval` writes into it."""
    return copy_run(regression_run, tmp_path_factory.mktemp("regression"))


def test_binary_run_reports_roc_auc_as_scikit_learn_computes_it(binary_run):
    metrics = json.loads((binary_run / "metrics.json").read_text())
    assert all("roc_auc" in metrics[split] for split in ("train", "val", "test"))
    config = load_config(binary_run / "config.yaml")
    test = prepare_data(config).splits.test
    model = keras.saving.load_model(binary_run / "model.keras", safe_mode=True)
    logits = model.predict(test.x, verbose=0).reshape(-1)
    assert metrics["test"]["roc_auc"] == pytest.approx(skm.roc_auc_score(test.y, logits), abs=1e-9)
    assert metrics["test"]["roc_auc"] > 0.8
    for name in ("learning_curves", "confusion_matrix", "roc_curve"):
        assert _is_png(binary_run / "plots" / f"{name}.png"), name
    assert not (binary_run / "plots" / "residuals.png").exists()


def test_eval_of_a_binary_run_writes_the_roc_curve_and_prints_the_tables(binary_run, cli):
    result = cli("eval", binary_run)
    assert result.exit_code == 0, result.stderr
    for name in ("confusion_matrix", "roc_curve"):
        assert _is_png(binary_run / "eval" / f"{name}.png"), name
    curve = json.loads((binary_run / "eval" / "roc_curve.json").read_text())
    trained = json.loads((binary_run / "metrics.json").read_text())["test"]
    assert curve["auc"] == pytest.approx(trained["roc_auc"], abs=1e-9)
    assert curve["fpr"][0] == curve["tpr"][0] == 0 and curve["fpr"][-1] == curve["tpr"][-1] == 1
    # Probabilities, not logits: the sigmoid was applied before thresholding.
    assert curve["thresholds"][0] is None and all(0 <= t <= 1 for t in curve["thresholds"][1:])
    for text in ("roc_auc", "per class", "malignant", "benign"):
        assert text in result.stdout, text


def test_regression_run_plots_residuals_in_training_and_eval(regression_run, cli):
    assert _is_png(regression_run / "plots" / "residuals.png")
    assert not (regression_run / "plots" / "confusion_matrix.png").exists()
    result = cli("eval", regression_run)
    assert result.exit_code == 0, result.stderr
    assert _is_png(regression_run / "eval" / "residuals.png")
    assert sorted(p.name for p in (regression_run / "eval").iterdir()) == ["metrics.json", "residuals.png"]
    assert "r2" in result.stdout and "per class" not in result.stdout
