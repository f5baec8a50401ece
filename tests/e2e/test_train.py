"""`dlkit train` end to end: the run folder SPEC promises, on the embedded digits."""

import csv
import json

import keras
import numpy as np
import pytest

from conftest import TINY, write_config


def test_last_stdout_line_is_the_run_folder(trained_run):
    run_dir, result = trained_run
    assert run_dir.is_dir() and run_dir.name.startswith("tiny-")
    assert "test" in result.stdout  # the metrics table came before the path


def test_run_folder_holds_what_spec_lists(trained_run):
    run_dir, _ = trained_run
    for name in (
        "config.yaml",
        "run.json",
        "history.csv",
        "metrics.json",
        "model.keras",
        "checkpoints/best.keras",
        "checkpoints/last.keras",
        "plots/learning_curves.png",
        "plots/confusion_matrix.png",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    assert (run_dir.parent / "latest").resolve() == run_dir.resolve()
    assert not [p for p in run_dir.rglob("*") if ".tmp" in p.name]


def test_run_json_records_the_run(trained_run):
    run_dir, _ = trained_run
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "completed" and info["seed"] == 7
    assert info["started"] <= info["ended"]
    assert set(info["versions"]) >= {"dlkit", "tensorflow", "keras", "python"}
    assert info["command"][:2] == ["dlkit", "train"]
    assert info["dataset_fingerprint"].startswith("sha256:")
    assert info["classes"] == [str(d) for d in range(10)]


def test_history_has_one_row_per_epoch_with_train_and_val(trained_run):
    run_dir, _ = trained_run
    with open(run_dir / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2"]  # counted from 1, as run.json's best_epoch
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])


def test_metrics_json_has_each_split_with_keras_names(trained_run):
    run_dir, _ = trained_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert list(metrics) == ["train", "val", "test", "baselines"]  # the baselines' figures after the model's
    for figures in (metrics[split] for split in ("train", "val", "test")):
        assert {"loss", "accuracy", "precision", "recall", "f1"} <= set(figures)
        assert 0 <= figures["accuracy"] <= 1 and np.isfinite(figures["loss"])
    assert metrics["test"]["accuracy"] > 0.5  # two epochs of a tiny CNN already learn digits


def test_model_keras_is_the_best_checkpoint_and_loads_in_safe_mode(trained_run):
    run_dir, _ = trained_run
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    best = keras.saving.load_model(run_dir / "checkpoints" / "best.keras", safe_mode=True)
    x = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), best.predict(x, verbose=0))
    # The preprocessing travels inside the model: it takes raw 0-255 pixels.
    assert any(isinstance(layer, keras.layers.Rescaling) for layer in model.layers)


def test_config_yaml_is_resolved_and_trains_again(trained_run, cli):
    run_dir, _ = trained_run
    result = cli("validate", run_dir / "config.yaml", "--show")
    assert result.exit_code == 0
    assert "sparse_categorical_crossentropy" in result.stdout  # the task's default, written out


def test_same_seed_same_metrics(tmp_path, cli, trained_run):
    run_dir, _ = trained_run
    config = write_config(tmp_path, TINY)
    again = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert again.exit_code == 0, again.stderr
    second = json.loads((tmp_path / "runs" / "latest" / "metrics.json").read_text())
    assert second == json.loads((run_dir / "metrics.json").read_text())


def test_progress_bar_shows_each_epoch(tmp_path, cli):
    config = write_config(tmp_path, TINY)
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "--set", "train.epochs=1")
    assert result.exit_code == 0, result.stderr
    assert "epoch 1/1" in result.stderr and "val_loss" in result.stderr


def test_wrong_output_units_stop_before_a_run_folder(tmp_path, cli):
    config = write_config(tmp_path, TINY)
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "--set", "model.layers.2.units=5")
    assert result.exit_code == 2
    assert "model.layers.2: the last layer gives 5 outputs per example, but digits has 10 classes" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_a_layer_keras_rejects_is_a_config_error(tmp_path, cli):
    config = write_config(tmp_path, TINY)
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "--set", "model.layers.0.padding=diagonal")
    assert result.exit_code == 2 and "model.layers.0 (conv2d):" in result.stderr
    assert "Traceback" not in result.stderr


def test_npz_dataset_in_keras_format(tmp_path, cli):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (120, 12, 12), dtype="uint8")  # mnist.npz layout: (N, H, W)
    y = np.arange(120) % 3
    for c in range(3):  # each class lights up its own band of rows
        x[y == c, 4 * c : 4 * c + 4] = 255
    np.savez(tmp_path / "small.npz", x_train=x[:90], y_train=y[:90], x_test=x[90:], y_test=y[90:])
    data = {
        **TINY,
        "name": "npz",
        "data": {**TINY["data"], "dataset": "npz", "options": {"path": str(tmp_path / "small.npz")}},
    }
    data["model"] = {"layers": ["flatten", {"type": "dense", "units": 3, "activation": "softmax"}]}
    result = cli(
        "train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=10"
    )
    assert result.exit_code == 0, result.stderr
    info = json.loads((tmp_path / "runs" / "latest" / "run.json").read_text())
    assert info["input"]["shape"] == [12, 12, 1] and info["classes"] == ["0", "1", "2"]
    metrics = json.loads((tmp_path / "runs" / "latest" / "metrics.json").read_text())
    assert len(metrics) == 4 and metrics["test"]["accuracy"] > 0.9  # train, val, test and the baselines


def test_npz_problems_are_one_line_data_errors(tmp_path, cli):
    np.savez(tmp_path / "bad.npz", images=np.zeros((4, 2, 2)))
    for path, message in [
        (tmp_path / "missing.npz", "no such file"),
        (tmp_path / "bad.npz", "missing arrays x_train, y_train"),
    ]:
        data = {**TINY, "data": {**TINY["data"], "dataset": "npz", "options": {"path": str(path)}}}
        result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs")
        assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_tensorboard_and_lr_callbacks_write_under_the_run(tmp_path, cli):
    data = {
        **TINY,
        "train": {
            **TINY["train"],
            "callbacks": [
                {"type": "tensorboard"},
                {"type": "reduce_lr_on_plateau", "patience": 0},
                {"type": "early_stopping"},
            ],
        },
    }
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    assert any((tmp_path / "runs" / "latest" / "tensorboard").rglob("events.out.tfevents.*"))


@pytest.mark.slow
def test_quickstart_reaches_its_accuracy(tmp_path, cli):
    """The README's promise: the shipped quickstart gets test accuracy >= 0.97."""
    from conftest import REPO

    result = cli("train", REPO / "configs" / "quickstart.yaml", "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    metrics = json.loads((tmp_path / "runs" / "latest" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.97
