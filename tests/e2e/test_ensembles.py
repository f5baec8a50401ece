"""Ensembles on a table: TabM (`tabm` + `ensemble_head`) in a regression and a binary run, and a deep
ensemble (`train.ensemble`), each member trained on its own loss; the saved `model.keras` is a plain
model giving the members' mean, which eval, predict, export and a safe-mode load use as for any run."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import write_config

K = 4


def _table(path: Path, rows: int = 400) -> Path:
    """Two numbers and a colour: `value` is a linear function of them plus noise, `label` its sign."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, rows)).round(3)
    colour = rng.choice(["red", "green", "blue"], rows)
    value = 3 * a - 2 * b + np.where(colour == "red", 2.0, 0.0) + rng.normal(0, 0.3, rows)
    frame = pd.DataFrame({"a": a, "b": b, "colour": colour, "value": (100 + 10 * value).round(2)})
    frame["label"] = np.where(value > 0.5, "high", "low")
    frame.to_csv(path, index=False)
    return path


def _train(tmp_path, cli, task: str, head: dict, layers: list | None = None, **train) -> Path:
    target, other = ("value", "label") if task == "regression" else ("label", "value")
    config = {
        "name": f"tabm_{task}",
        "seed": 1,
        "task": task,
        "data": {
            "dataset": "csv",
            "options": {"path": str(_table(tmp_path / "t.csv")), "target": target, "drop": [other]},
            "split": {"validation": 0.2, "test": 0.2},
            "batch_size": 32,
        },
        "model": {"layers": layers or [{"type": "tabm", "units": [32, 16], "k": K, "dropout": 0.1}, head]},
        "train": {"epochs": 6, "optimizer": {"type": "adam", "learning_rate": 0.01}, **train},
    }
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _load(run_dir: Path):
    import dlkit.layers.custom  # noqa: F401  (registers dlkit's layers, TabM's included)

    return keras.saving.load_model(run_dir / "model.keras", safe_mode=True)


def _rows(tmp_path) -> pd.DataFrame:
    frame = pd.read_csv(tmp_path / "t.csv").head(5)
    frame.drop(columns=["value", "label"]).to_csv(tmp_path / "rows.csv", index=False)
    return frame


def test_a_regression_trains_each_member_and_saves_their_mean(tmp_path, cli):
    run_dir = _train(tmp_path, cli, "regression", {"type": "ensemble_head", "units": 1})
    model = _load(run_dir)
    assert model.output_shape == (None, 1) and model.layers[-1].name == "scale_target"
    assert model.get_layer(index=-2).__class__.__name__ == "EnsembleHead"

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["mae"] < 0.5 * metrics["baselines"]["mean"]["test"]["mae"]  # learned, in the target's units
    history = pd.read_csv(run_dir / "history.csv")
    assert {"loss", "val_loss", "mae", "val_mae"} <= set(history.columns)

    assert cli("eval", run_dir).exit_code == 0
    evaluated = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert evaluated["mae"] == pytest.approx(metrics["test"]["mae"], rel=1e-5)

    frame = _rows(tmp_path)
    out = cli("predict", tmp_path / "rows.csv", "--run", run_dir, "--json")
    assert out.exit_code == 0, out.stderr
    values = [row["value"] for row in json.loads(out.stdout)["predictions"]]
    import tensorflow as tf

    columns = {name: tf.constant(frame[[name]].to_numpy("float32")) for name in ("a", "b")}
    columns["colour"] = tf.constant(frame[["colour"]].to_numpy(str))
    expected = np.asarray(model(columns, training=False))[:, 0]
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_a_binary_run_averages_the_members_probabilities(tmp_path, cli):
    head = {"type": "ensemble_head", "units": 1, "activation": "sigmoid"}
    run_dir = _train(tmp_path, cli, "binary", head)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    majority = metrics["baselines"]["majority"]["test"]["accuracy"]
    assert metrics["test"]["auc"] > 0.9 and metrics["test"]["accuracy"] > majority
    assert cli("eval", run_dir).exit_code == 0
    assert (run_dir / "eval" / "roc_curve.png").exists()
    exported = cli("export", run_dir, "--format", "saved_model")
    assert exported.exit_code == 0, exported.stderr
    parity = json.loads((run_dir / "export" / "saved_model" / "export.json").read_text())["parity"]
    assert parity["passed"] and parity["max_abs_diff"] < 1e-5  # the members' mean, as model.keras gives it

    _rows(tmp_path)
    out = cli("predict", tmp_path / "rows.csv", "--run", run_dir, "--json")
    assert out.exit_code == 0, out.stderr
    predictions = json.loads(out.stdout)["predictions"]
    assert all(p["label"] in ("high", "low") and 0 <= p["probability"] <= 1 for p in predictions)
    # The members differ (their own adapters and heads): the mean is not one member's answer.
    model = _load(run_dir)
    ensemble = model.get_layer(index=-1)
    assert ensemble.__class__.__name__ == "EnsembleHead" and ensemble.kernel.shape[0] == K
    assert np.ptp(np.asarray(ensemble.kernel), axis=0).max() > 0


def test_a_deep_ensemble_saves_one_model_of_its_copies(tmp_path, cli):
    layers = [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 1}]
    run_dir = _train(tmp_path, cli, "regression", {}, layers, ensemble={"seeds": 3})
    model = _load(run_dir)
    mean = model.get_layer("ensemble_mean")
    assert len(mean.input) == 3 and model.output_shape == (None, 1)
    kernels = [np.asarray(layer.kernel) for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    hidden = [kernel for kernel in kernels if kernel.shape[1] == 16]
    assert len(kernels) == 6 and len(hidden) == 3 and not np.allclose(hidden[0], hidden[1])  # each its own weights

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["mae"] < 0.5 * metrics["baselines"]["mean"]["test"]["mae"]
    assert cli("eval", run_dir).exit_code == 0
    evaluated = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert evaluated["mae"] == pytest.approx(metrics["test"]["mae"], rel=1e-5)
    _rows(tmp_path)
    out = cli("predict", tmp_path / "rows.csv", "--run", run_dir, "--json")
    assert out.exit_code == 0 and len(json.loads(out.stdout)["predictions"]) == 5, out.stderr
