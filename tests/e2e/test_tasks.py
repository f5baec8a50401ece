"""The other label formats and tasks end to end: one-hot, binary, regression, augmentation."""

import json

import keras
import numpy as np
import pytest

from conftest import TINY, write_config


def _train(cli, tmp_path, data, *sets):
    args = [a for s in sets for a in ("--set", s)]
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q", *args)
    assert result.exit_code == 0, result.stderr
    run_dir = (tmp_path / "runs" / "latest").resolve()
    return run_dir, json.loads((run_dir / "metrics.json").read_text())


def _npz(tmp_path, x, y, name="data.npz"):
    cut = int(len(x) * 0.75)
    np.savez(tmp_path / name, x_train=x[:cut], y_train=y[:cut], x_test=x[cut:], y_test=y[cut:])
    return str(tmp_path / name)


def test_categorical_crossentropy_gets_one_hot_labels(tmp_path, cli):
    data = {
        **TINY,
        "train": {
            **TINY["train"],
            "loss": {"type": "categorical_crossentropy", "label_smoothing": 0.1},
            "metrics": ["accuracy", {"type": "top_k_accuracy", "k": 3}],
        },
    }
    run_dir, metrics = _train(cli, tmp_path, data)
    assert metrics["test"]["top_k_accuracy"] >= metrics["test"]["accuracy"] > 0.3
    evaluated = cli("eval", run_dir)
    assert evaluated.exit_code == 0, evaluated.stderr
    again = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert again == pytest.approx(metrics["test"], abs=1e-6)


def test_binary_task_with_sigmoid_output(tmp_path, cli):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 100, (160, 6, 6), dtype="uint8")
    y = np.arange(160) % 2
    x[y == 1] += 120  # brighter images are the positive class
    data = {
        **TINY,
        "task": "binary",
        "data": {
            **TINY["data"],
            "dataset": "npz",
            "options": {"path": _npz(tmp_path, x, y), "class_names": ["dark", "bright"]},
        },
        "model": {"layers": ["flatten", {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    }
    run_dir, metrics = _train(cli, tmp_path, data, "train.epochs=8")
    assert {"loss", "accuracy", "auc", "precision", "recall", "f1"} <= set(metrics["test"])
    assert metrics["test"]["auc"] > 0.9
    from PIL import Image

    Image.fromarray(np.full((6, 6), 250, dtype="uint8")).save(tmp_path / "bright.png")
    row = json.loads(cli("predict", tmp_path / "bright.png", "--run", run_dir, "--json").stdout)["predictions"][0]
    assert row["label"] == "bright" and [t["label"] for t in row["top_k"]] == ["bright", "dark"]


def test_regression_task_on_arrays(tmp_path, cli):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3).astype("float32")
    data = {
        **TINY,
        "task": "regression",
        "data": {"dataset": "npz", "options": {"path": _npz(tmp_path, x, y), "kind": "array"}, "batch_size": 16},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"epochs": 30, "optimizer": {"type": "adam", "learning_rate": 0.05}},
    }
    run_dir, metrics = _train(cli, tmp_path, data)
    assert {"loss", "mae", "mse", "rmse", "r2"} <= set(metrics["test"])
    assert metrics["test"]["r2"] > 0.9
    assert not (run_dir / "plots" / "confusion_matrix.png").exists()
    assert cli("eval", run_dir).exit_code == 0
    # Feature arrays without names predict from a CSV's columns in order.
    header = "a,b,c,d\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in x[:3])
    (tmp_path / "rows.csv").write_text(header + "\n")
    out = cli("predict", tmp_path / "rows.csv", "--run", run_dir, "--json", "--output", tmp_path / "preds.csv")
    assert out.exit_code == 0, out.stderr
    values = [row["value"] for row in json.loads(out.stdout)["predictions"]]
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    expected = model.predict(np.round(x[:3], 6), verbose=0)[:, 0]
    np.testing.assert_allclose(values, expected, rtol=1e-5)
    assert len((tmp_path / "preds.csv").read_text().splitlines()) == 4


def test_augmentation_runs_in_training_only(tmp_path, cli):
    data = {
        **TINY,
        "data": {
            **TINY["data"],
            "augment": [{"type": "random_rotation", "factor": 0.05}, {"type": "random_zoom", "height_factor": 0.1}],
        },
    }
    run_dir, metrics = _train(cli, tmp_path, data)
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    assert {"RandomRotation", "RandomZoom"} <= {type(layer).__name__ for layer in model.layers}
    x = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert cli("eval", run_dir).exit_code == 0
    evaluated = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert evaluated == pytest.approx(metrics["test"], abs=1e-6)


def test_labels_outside_the_classes_are_a_data_error(tmp_path, cli):
    x = np.zeros((30, 4, 4), dtype="uint8")
    y = np.arange(30) % 3
    data = {**TINY, "task": "binary",
            "data": {**TINY["data"], "dataset": "npz", "options": {"path": _npz(tmp_path, x, y)}},
            "model": {"layers": ["flatten", {"type": "dense", "units": 1, "activation": "sigmoid"}]}}  # fmt: skip
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1
    assert "npz: training labels must be 0..1 for 2 classes (binary). Received: 0..2" in result.stderr
