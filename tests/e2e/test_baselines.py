"""Baselines in every run: what the model must beat, scored like it into metrics.json's `baselines`,
shown by train, eval, runs and compare, with a warning when the model does not beat the trivial one."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import write_config
from dlkit.config.loader import load_run_config
from dlkit.engine.prepare import prepare_data
from helpers.baselines import _config, _noise_table, _table


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_a_model_that_learned_nothing_is_told_so(tmp_path, cli):
    path = _noise_table(tmp_path / "noise.csv")
    config = write_config(tmp_path, _config("noise", "binary", {"path": str(path), "target": "label"}))
    trained = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    run = Path(_last_line(trained.stdout))
    metrics = json.loads((run / "metrics.json").read_text())
    assert list(metrics)[:3] == ["train", "val", "test"]  # the model's figures as before
    baselines = metrics["baselines"]
    assert set(baselines) == {"majority", "logistic", "hist_gradient_boosting"}
    assert set(baselines["majority"]) == {"val", "test"}
    test = prepare_data(load_run_config(run)).splits.test
    share = np.bincount(test.y).max() / len(test.y)  # the majority class's share of the test split
    majority = baselines["majority"]["test"]
    assert majority["accuracy"] == pytest.approx(share) and majority["auc"] == pytest.approx(0.5)
    assert majority["loss"] == pytest.approx(-(0.7 * math.log(0.7) + 0.3 * math.log(0.3)), abs=0.01)  # the prior's
    line = _last_line(trained.stderr)
    assert f"does not beat the majority class ({share:.3f})" in line, trained.stderr
    assert line.startswith(f"dlkit: warning: test accuracy {metrics['test']['accuracy']:.3f}")
    assert "test (majority)" in trained.stdout and "test (hist_gradient_boosting)" in trained.stdout
    evaluated = cli("eval", run)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert _last_line(evaluated.stdout) == str(run / "eval")
    assert "does not beat the majority class" in _last_line(evaluated.stderr)
    report = json.loads((run / "eval" / "metrics.json").read_text())
    assert report["baselines"]["majority"] == {"test": majority}
    assert report["baselines"]["logistic"]["test"] == baselines["logistic"]["test"]  # seeded: the same figures


def test_regression_baselines_in_the_target_units(tmp_path, cli):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    frame = {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "kind": rng.choice(["u", "v", "w"], 300)}
    path = _table(tmp_path / "r.csv", frame | {"y": 500 + 40 * x[:, 0] + rng.normal(size=300)})
    config = _config("numbers", "regression", {"path": str(path), "target": "y"}, activation=None)
    trained = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    run = Path(_last_line(trained.stdout))
    baselines = json.loads((run / "metrics.json").read_text())["baselines"]
    assert set(baselines) == {"mean", "median", "ridge", "hist_gradient_boosting"}
    splits = prepare_data(load_run_config(run)).splits
    mean, median = splits.train.y.astype("float64").mean(), np.median(splits.train.y)
    for name, split in (("val", splits.val), ("test", splits.test)):
        errors = split.y.astype("float64") - mean
        assert baselines["mean"][name]["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)), rel=1e-5)
        assert baselines["mean"][name]["r2"] == pytest.approx(1 - np.mean(errors**2) / np.var(split.y), abs=1e-4)
        assert baselines["median"][name]["mae"] == pytest.approx(np.mean(np.abs(split.y - median)), rel=1e-5)
    assert baselines["ridge"]["test"]["mae"] < 2 < baselines["mean"]["test"]["mae"]  # fitted in the target's units
    assert baselines["hist_gradient_boosting"]["test"]["r2"] > 0.8
    evaluated = cli("eval", run, "--set", "eval.baselines=false")
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "baselines" not in json.loads((run / "eval" / "metrics.json").read_text())
    assert "(mean)" not in evaluated.stdout


def test_a_series_is_compared_with_persistence(tmp_path, cli):
    t = np.arange(300)
    path = _table(tmp_path / "s.csv", {"wave": np.sin(t / 8), "other": np.cos(t / 5)})
    options = {"dataset": "sequence", "path": str(path), "target": "wave", "window": 6}
    trained = cli("train", write_config(tmp_path, _config("wave", "regression", options, activation=None)),
                  "--runs-dir", tmp_path / "runs", "-q")  # fmt: skip
    assert trained.exit_code == 0, trained.stderr
    run = Path(_last_line(trained.stdout))
    baselines = json.loads((run / "metrics.json").read_text())["baselines"]
    assert set(baselines) == {"mean", "median", "persistence"}  # windows are no table: no classical models
    test = prepare_data(load_run_config(run)).splits.test
    by_hand = np.mean(np.abs(test.y - test.x[:, -1, 0]))  # the wave's value at the window's last step
    assert baselines["persistence"]["test"]["mae"] == pytest.approx(by_hand, rel=1e-5)


def _copy(run: Path, target: Path, accuracy: float) -> Path:
    shutil.copytree(run, target)
    info = json.loads((target / "run.json").read_text())
    (target / "run.json").write_text(json.dumps(info | {"headline": {"accuracy": accuracy}}))
    return target


def test_runs_shows_the_margin_and_compare_the_baselines(tmp_path, cli, trained_run):
    run, _ = trained_run
    metrics = json.loads((run / "metrics.json").read_text())
    majority = metrics["baselines"]["majority"]["test"]["accuracy"]
    ahead = _copy(run, tmp_path / "runs" / "ahead-1", majority + 0.021)
    _copy(run, tmp_path / "runs" / "behind-1", majority - 0.001)
    listed = cli("runs", tmp_path / "runs")
    assert listed.exit_code == 0, listed.stderr
    assert " margin " in listed.stdout
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if "-1 " in line}
    assert "+0.021" in rows["ahead-1"] and "-0.001" in rows["behind-1"]
    compared = cli("compare", run, ahead, "--json", "--out", tmp_path / "c.png")
    assert compared.exit_code == 0, compared.stderr
    figures = json.loads(compared.stdout)["baselines"]["majority"]["test"]["accuracy"]
    assert figures == {run.name: majority, ahead.name: majority}
    shown = cli("compare", run, ahead, "--out", tmp_path / "c.png")
    assert "baselines on the test split" in shown.stdout and "majority" in shown.stdout
