"""Each task's pieces on their own, no training: label encoding, the output check, report figures,
predict rows, defaults and refusals, and the registry that finds them."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn import metrics as skm

from conftest import TINY
from dlkit.config.loader import parse_config
from dlkit.core.errors import ConfigError, DataError, UsageError
from dlkit.core.registries import TASKS
from dlkit.data.dataset import Arrays
from dlkit.data.splits import Split
from dlkit.engine.targets import check_target
from dlkit.engine.task import task_of


def _task(**changes):
    return task_of(parse_config({**TINY, **changes}))


def _model(units: int):
    """What the output check reads of a Keras model."""
    return SimpleNamespace(output_shape=(None, units))


def test_the_registry_finds_every_builtin_task_from_its_module():
    assert {"classification", "binary", "regression", "gan", "multilabel"} <= set(TASKS.names())
    assert type(_task()).__name__ == "Classification"  # no `task:` is classification


def test_classification_encodes_names_and_checks_the_range():
    arrays = Arrays(np.zeros((4, 2)), np.array(["cat", "dog", "cat", "eel"]), y_test=np.array(["dog"]))
    assert _task().labels(arrays) == ["cat", "dog", "eel"]
    assert arrays.y_train.tolist() == [0, 1, 0, 2] and arrays.y_test.tolist() == [1]
    with pytest.raises(
        DataError, match="test labels never seen in training: 'ant'|test labels never seen in training: ant"
    ):
        _task().labels(Arrays(np.zeros((2, 2)), np.array(["a", "b"]), y_test=np.array(["ant"])))
    with pytest.raises(DataError, match=r"labels must be 0..2 for 3 classes"):
        _task().labels(Arrays(np.zeros((2, 2)), np.array([0, 5]), class_names=["a", "b", "c"]))


def test_float_labels_with_fractions_name_the_forgotten_task():
    fractions = Arrays(np.zeros((3, 2)), np.array([1.5, 2.25, 3.0]))
    forgotten = task_of(parse_config({k: v for k, v in TINY.items() if k != "task"}))
    with pytest.raises(
        ConfigError,
        match=r"^data.dataset: dataset 'digits' holds numbers with fractions \(3 distinct, e.g. 1.5\); task "
        r"'classification' \(the default\) needs class labels \(integers or names\): set task: regression$",
    ):
        check_target(forgotten, fractions)
    with pytest.raises(ConfigError, match="; task 'binary' needs class labels"):
        check_target(_task(task="binary"), fractions)
    whole = Arrays(np.zeros((3, 2)), np.array([0.0, 1.0, 2.0]))
    check_target(_task(), whole)
    assert _task().labels(whole) == ["0", "1", "2"]  # whole numbers are classes, named as integers


def test_each_task_says_what_the_last_layer_must_give():
    data = SimpleNamespace(class_names=["a", "b", "c"], target_dim=2)
    _task().check_output(_model(3), data)
    with pytest.raises(
        ConfigError, match=r"model.layers.2: the last layer gives 4 outputs .* has 3 classes; set units: 3"
    ):
        _task().check_output(_model(4), data)
    with pytest.raises(ConfigError, match=r"a binary task \(one sigmoid unit\); set units: 1"):
        _task(task="binary").check_output(_model(2), data)
    with pytest.raises(ConfigError, match=r"has 2 target\(s\); set units: 2"):
        _task(task="regression", data={"dataset": "diabetes"}).check_output(_model(1), data)


def test_class_reports_equal_scikit_learns():
    task = _task()
    y = np.array([0, 1, 2, 2, 1, 0, 2])
    outputs = np.eye(3)[[0, 2, 2, 1, 1, 0, 2]]
    report = task.report(y, outputs)
    predicted = outputs.argmax(-1)
    assert report["f1"] == pytest.approx(skm.f1_score(y, predicted, average="macro"), abs=1e-6)
    assert report["accuracy"] == pytest.approx(5 / 7)


def test_binary_reports_roc_and_turns_logits_into_probabilities(tmp_path):
    task = _task(task="binary", train={**TINY["train"], "loss": {"type": "binary_crossentropy", "from_logits": True}})
    logits = np.array([[-2.0], [3.0], [0.5], [-0.1]])
    assert task.probabilities(logits)[:, 0] == pytest.approx(1 / (1 + np.exp(-logits[:, 0])))
    y = np.array([0, 1, 1, 1])
    assert task.report(y, logits)["roc_auc"] == pytest.approx(skm.roc_auc_score(y, logits[:, 0]))
    report = task.write_report(Split(np.zeros((4, 1)), y), logits, ["no", "yes"], tmp_path, "t")
    assert {"roc_curve", "confusion_matrix", "classification_report"} <= set(report)
    row = task.describe(logits[1], ["no", "yes"], 2)
    assert row["label"] == "yes" and [t["label"] for t in row["top_k"]] == ["yes", "no"]
    assert task.shown(row)[0] == "yes"


def test_classification_predict_rows_and_scores():
    task = _task()
    row = task.describe(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"], 2)
    assert row == {
        "label": "b",
        "probability": pytest.approx(0.7),
        "top_k": [{"label": "b", "probability": pytest.approx(0.7)}, {"label": "c", "probability": pytest.approx(0.2)}],
    }
    described = task.describe_rows(np.array([[0.1, 0.8, 0.1], [0.1, 0.2, 0.7]]), ["1", "2", "3"], 2)
    assert described.field("label").tolist() == ["2", "3"] and described.row(0) == task.describe(
        np.array([0.1, 0.8, 0.1]), ["1", "2", "3"], 2
    )
    parts = task.score_parts(described, np.array(["2.0", "2"], dtype=object), ["1", "2", "3"])
    assert task.score_figures(parts, ["1", "2", "3"]) == ({"accuracy": 0.5}, 2)


def test_regression_values_reports_and_scale():
    task = _task(task="regression", data={"dataset": "diabetes"})
    assert task.config.data.options["scale_target"] is True and task.scales_targets
    arrays = Arrays(np.zeros((2, 2)), np.array(["1.5", "2"]))
    assert task.labels(arrays) == [] and arrays.y_train.dtype == np.float32
    with pytest.raises(
        ConfigError, match="holds text \\('short', ...\\); task 'regression' needs numbers: set task: classification"
    ):
        check_target(task, Arrays(np.zeros((2, 2)), np.array(["tall", "short"])))
    y, outputs = np.array([1.0, 2.0, 4.0]), np.array([[1.5], [2.0], [3.0]])
    assert task.report(y, outputs) == pytest.approx(
        {"mae": 0.5, "mse": 1.25 / 3, "rmse": np.sqrt(1.25 / 3), "r2": skm.r2_score(y, outputs[:, 0])}
    )
    assert task.describe(np.array([2.5]), [], 3) == {"value": 2.5}
    shown = task.describe(np.array([4398.8823], "float32"), [], 3)["value"]  # float32's digits only
    assert shown == 4398.8823 and str(shown) == "4398.8823" and np.float32(shown) == np.float32(4398.8823)
    assert task.describe(np.array([1.5, 0.1], "float32"), [], 3) == {"value": [1.5, 0.1]}
    parts = task.score_parts(task.describe_rows(np.array([[2.0], [4.0]]), [], 3), ["1", "4"], [])
    assert task.score_figures(parts, []) == ({"mae": 0.5, "rmse": np.sqrt(0.5)}, 2)
    assert task.headline({"loss": 1.0, "mae": 0.3}) == {"mae": 0.3}


def test_gan_refuses_supervised_keys_and_predict():
    from helpers.gan import TINY_GAN

    task = task_of(parse_config(TINY_GAN))
    assert (
        task.generates and task.config.logged()["d_real_acc"] == "up" and task.config.train.checkpoint.monitor is None
    )
    assert task.config.data.split.validation == 0
    with pytest.raises(UsageError, match="a GAN run generates images"):
        task.check_predict("runs/x")
    with pytest.raises(ConfigError, match="train.loss: not used by task gan"):
        parse_config({**TINY_GAN, "train": {"loss": "mse"}})


def test_monitors_take_the_direction_their_metric_declares():
    assert (
        parse_config(
            {**TINY, "train": {**TINY["train"], "checkpoint": {"monitor": "val_f1"}, "metrics": ["f1"]}}
        ).monitor_direction()
        == "max"
    )
    assert parse_config(TINY).monitor_direction() == "min"
    regression = {
        **TINY,
        "task": "regression",
        "data": {"dataset": "diabetes"},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"checkpoint": {"monitor": "val_mae"}},
        "tune": {"space": {"train.epochs": {"type": "int", "low": 1, "high": 2}}},
    }
    regression = parse_config(regression)
    assert regression.monitor_direction() == "min" and regression.tune.direction == "minimize"


def test_a_key_of_another_task_names_it():
    with pytest.raises(ConfigError, match=r"train.sample_every: only for task gan \(task is 'classification'\)"):
        parse_config({**TINY, "train": {**TINY["train"], "sample_every": 3}})
