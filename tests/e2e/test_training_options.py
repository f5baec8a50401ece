"""Training options: schedules, optimizers with clipping, class weights, metrics, precision, XLA."""

import csv
import json

import keras
import pytest

from conftest import TINY, write_config
from helpers.training_options import _config


def _train(cli, tmp_path, data, *sets):
    args = [a for s in sets for a in ("--set", s)]
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q", *args)
    assert result.exit_code == 0, result.stderr
    return (tmp_path / "runs" / "latest").resolve()


def test_history_logs_the_scheduled_learning_rate(tmp_path, cli):
    data = {**TINY, "train": {**TINY["train"], "epochs": 3, "lr_schedule": {"type": "step", "every": 1, "factor": 0.5}}}
    run_dir = _train(cli, tmp_path, data)
    with open(run_dir / "history.csv", newline="") as f:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(f)]
    assert rates == pytest.approx([0.01, 0.005, 0.0025])  # each epoch's starting rate


def test_classification_trains_with_f1_precision_recall(tmp_path, cli):
    data = {**TINY, "train": {**TINY["train"], "metrics": ["accuracy", "precision", "recall", "f1"]}}
    run_dir = _train(cli, tmp_path, data, "train.checkpoint.monitor=val_f1")
    metrics = json.loads((run_dir / "metrics.json").read_text())["test"]
    with open(run_dir / "history.csv", newline="") as f:
        assert {"f1", "val_f1", "precision", "val_recall"} <= set(next(csv.DictReader(f)))
    assert 0 < metrics["f1"] <= 1
    run = json.loads((run_dir / "run.json").read_text())
    assert "val_f1" in run["best"]


def test_class_weights_change_binary_training(tmp_path, cli):
    binary = {
        **TINY,
        "task": "binary",
        "data": {"dataset": "breast_cancer", "batch_size": 64},
        "model": {"layers": [{"type": "normalization"}, {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    }
    losses = []
    for weights in (None, {"malignant": 5.0}):
        (tmp_path / str(weights is None)).mkdir()
        run_dir = _train(
            cli, tmp_path / str(weights is None), {**binary, "train": {**binary["train"], "class_weight": weights}}
        )
        with open(run_dir / "history.csv", newline="") as f:
            losses.append(float(next(csv.DictReader(f))["loss"]))
    assert losses[0] != pytest.approx(losses[1], rel=1e-3)


def test_class_weight_errors(tmp_path, cli):
    unknown = {**TINY, "train": {**TINY["train"], "class_weight": {"cat": 2.0}}}
    result = cli("train", write_config(tmp_path, unknown), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 2
    assert "train.class_weight.cat: no such class" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())

    regression = {**TINY, "task": "regression", "data": {"dataset": "diabetes"}, "train": {"class_weight": "balanced"}}
    result = cli("validate", write_config(tmp_path, regression))
    assert result.exit_code == 2 and "train.class_weight" in result.stderr


def test_mixed_precision_trains_and_predicts_in_float32(tmp_path, cli):
    run_dir = _train(cli, tmp_path, {**TINY, "train": {**TINY["train"], "epochs": 1, "precision": "mixed_bfloat16"}})
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True, compile=False)
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert conv.dtype_policy.name == "mixed_bfloat16"
    assert model.layers[-1].name == "float32_output" and model.output.dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"] > 0.2


@pytest.mark.parametrize("jit", [False, "auto"])
def test_jit_compile_is_passed_to_keras(tmp_path, jit):
    from dlkit.training.trainer import train

    seen = {}

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["jit"] = self.model.jit_compile
            seen["steps"] = self.model.steps_per_execution

    config = _config(
        tmp_path, {**TINY, "train": {**TINY["train"], "epochs": 1, "jit_compile": jit, "steps_per_execution": 4}}
    )
    train(config, runs_dir=tmp_path / "runs", callbacks=[Spy()])
    assert seen["jit"] is False  # "auto" keeps XLA off on CPU
    assert seen["steps"] == 4


def test_the_test_split_can_serve_for_validation(tmp_path, cli):
    run_dir = _train(cli, tmp_path, {**TINY, "data": {**TINY["data"], "split": {"validation": "test", "test": 0.2}}})
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["val"] == metrics["test"]
    assert len(metrics) == 4  # train, val, test, baselines
    assert metrics["baselines"]["majority"]["val"] == metrics["baselines"]["majority"]["test"]
    result = cli("validate", write_config(tmp_path, {**TINY, "data": {**TINY["data"], "split": {"validation": "val"}}}))
    assert result.exit_code == 2 and "data.split.validation" in result.stderr
