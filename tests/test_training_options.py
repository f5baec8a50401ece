"""Training options: schedules, optimizers with clipping, class weights, metrics, precision, XLA."""

import csv
import json

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

from conftest import TINY, write_config
from dlkit.config import load_config
from dlkit.core.registries import OPTIMIZERS, SCHEDULES
from dlkit.layers.custom import ClassScore


def _config(tmp_path, data, *sets):
    return load_config(write_config(tmp_path, data), list(sets))


def _train(cli, tmp_path, data, *sets):
    args = [a for s in sets for a in ("--set", s)]
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q", *args)
    assert result.exit_code == 0, result.stderr
    return (tmp_path / "runs" / "latest").resolve()


def _rates(schedule: dict, steps: list[int], learning_rate=1e-3, steps_per_epoch=10, epochs=10):
    built = SCHEDULES.build(schedule, learning_rate=learning_rate, steps_per_epoch=steps_per_epoch, epochs=epochs)
    if isinstance(built, float):
        return [built] * len(steps)
    return [float(built(step)) for step in steps]


def test_step_schedule_multiplies_the_rate_every_n_epochs():
    assert _rates({"type": "step", "every": 2, "factor": 0.5}, [0, 19, 20, 45]) == pytest.approx(
        [1e-3, 1e-3, 5e-4, 2.5e-4]
    )


def test_exponential_schedule_decays_per_epoch():
    rates = _rates({"type": "exponential", "decay_rate": 0.5, "decay_epochs": 2}, [0, 20, 40])
    assert rates == pytest.approx([1e-3, 5e-4, 2.5e-4])
    stairs = _rates({"type": "exponential", "decay_rate": 0.5, "staircase": True}, [9, 10])
    assert stairs == pytest.approx([1e-3, 5e-4])


def test_piecewise_schedule_uses_its_own_values():
    rates = _rates({"type": "piecewise", "boundaries": [3, 6], "values": [0.1, 0.01, 0.001]}, [0, 31, 61])
    assert rates == pytest.approx([0.1, 0.01, 0.001])


def test_cosine_schedule_warms_up_then_decays_to_alpha():
    rates = _rates({"type": "cosine", "warmup_epochs": 2, "alpha": 0.1}, [0, 10, 20, 60, 100])
    assert rates[0] == pytest.approx(0.0)
    assert rates[1] == pytest.approx(5e-4)
    assert rates[2] == pytest.approx(1e-3)
    assert rates[2] > rates[3] > rates[4]
    assert rates[4] == pytest.approx(1e-4)


def test_schedule_arguments_are_checked(tmp_path, cli):
    data = {**TINY, "train": {**TINY["train"], "lr_schedule": {"type": "piecewise", "boundaries": [2], "values": [1]}}}
    result = cli("validate", write_config(tmp_path, data))
    assert result.exit_code == 2
    assert "train.lr_schedule" in result.stderr and "values needs 2 rates" in result.stderr


def test_a_schedule_and_reduce_lr_on_plateau_are_refused_together(tmp_path, cli):
    train = {**TINY["train"], "lr_schedule": "cosine", "callbacks": ["reduce_lr_on_plateau"]}
    result = cli("validate", write_config(tmp_path, {**TINY, "train": train}))
    assert result.exit_code == 2
    assert "train.lr_schedule" in result.stderr and "keep one of the two" in result.stderr


def test_history_logs_the_scheduled_learning_rate(tmp_path, cli):
    data = {**TINY, "train": {**TINY["train"], "epochs": 3, "lr_schedule": {"type": "step", "every": 1, "factor": 0.5}}}
    run_dir = _train(cli, tmp_path, data)
    with open(run_dir / "history.csv", newline="") as f:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(f)]
    assert rates == pytest.approx([0.01, 0.005, 0.0025])  # each epoch's starting rate


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_builds_with_clipping(name):
    for clip in ({"clipnorm": 1.0}, {"clipvalue": 0.5}, {"global_clipnorm": 2.0}):
        optimizer = OPTIMIZERS.build({"type": name, "learning_rate": 0.02, **clip})
        key, value = next(iter(clip.items()))
        assert getattr(optimizer, key) == value
        assert float(optimizer.learning_rate) == pytest.approx(0.02)


def test_sgd_momentum_and_nesterov():
    optimizer = OPTIMIZERS.build({"type": "sgd", "momentum": 0.9, "nesterov": True})
    assert (optimizer.momentum, optimizer.nesterov) == (0.9, True)


def _scores(score, y_true, y_pred, **kwargs):
    metric = ClassScore(score=score, **kwargs)
    metric.update_state(y_true[:40], y_pred[:40])
    metric.update_state(y_true[40:], y_pred[40:])
    return float(metric.result())


@pytest.mark.parametrize("score", ["precision", "recall", "f1"])
def test_class_scores_match_scikit_learn(score):
    rng = np.random.default_rng(0)
    y_true = rng.choice([0, 1, 3], 100)  # class 2 never occurs: left out of the macro average, as sklearn does
    outputs = rng.random((100, 4)).astype("float32")
    expected = getattr(skm, f"{score}_score")(y_true, outputs.argmax(-1), average="macro", zero_division=0)
    assert _scores(score, y_true, outputs, num_classes=4) == pytest.approx(expected, abs=1e-6)
    one_hot = np.eye(4, dtype="float32")[y_true]
    assert _scores(score, one_hot, outputs, num_classes=4) == pytest.approx(expected, abs=1e-6)

    binary_true = rng.integers(0, 2, 100)
    logits = rng.normal(size=(100, 1)).astype("float32")
    expected = getattr(skm, f"{score}_score")(binary_true, (logits[:, 0] > 0).astype(int), zero_division=0)
    kwargs = {"num_classes": 2, "threshold": 0.0, "positive_only": True}
    assert _scores(score, binary_true, logits, **kwargs) == pytest.approx(expected, abs=1e-6)


def test_classification_trains_with_f1_precision_recall(tmp_path, cli):
    data = {**TINY, "train": {**TINY["train"], "metrics": ["accuracy", "precision", "recall", "f1"]}}
    run_dir = _train(cli, tmp_path, data, "train.checkpoint.monitor=val_f1")
    metrics = json.loads((run_dir / "metrics.json").read_text())["test"]
    with open(run_dir / "history.csv", newline="") as f:
        assert {"f1", "val_f1", "precision", "val_recall"} <= set(next(csv.DictReader(f)))
    assert 0 < metrics["f1"] <= 1
    run = json.loads((run_dir / "run.json").read_text())
    assert "val_f1" in run["best"]


def test_balanced_class_weights(tmp_path):
    from dlkit.engine.prepare import prepare_data
    from dlkit.tasks.class_labels import class_weights

    config = _config(tmp_path, {**TINY, "train": {**TINY["train"], "class_weight": "balanced"}})
    data = prepare_data(config)
    weights = class_weights(config, data)
    counts = np.bincount(data.splits.train.y)
    assert weights == pytest.approx({i: len(data.splits.train.y) / (10 * n) for i, n in enumerate(counts)})

    config = _config(tmp_path, {**TINY, "train": {**TINY["train"], "class_weight": {"3": 2.0, 7: 0.5}}})
    assert class_weights(config, data) == {**dict.fromkeys(range(10), 1.0), 3: 2.0, 7: 0.5}


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
