"""task: multilabel without training: label encoding, the config's defaults and threshold, the
reports and predict rows."""

import numpy as np
import pytest
import yaml
from sklearn import metrics as skm

from dlkit.config.loader import dump_config, parse_config
from dlkit.core.errors import ConfigError, DataError
from dlkit.data.dataset import Arrays
from dlkit.data.npz import Npz
from dlkit.data.splits import Split
from dlkit.engine.described import Rows
from dlkit.engine.task import task_of
from helpers.multilabel import _config


def _task(**changes):
    return task_of(parse_config(_config(**changes)))


def _tags(values) -> Arrays:
    y_train, y_test = (None if v is None else np.array(v, dtype=object) for v in values)
    return Arrays(x_train=None, y_train=y_train, y_test=y_test)


def test_labels_from_bar_separated_strings_become_a_multi_hot_matrix():
    arrays = _tags((["b|a", " c | a ", "|", "a|a"], ["c", "|"]))
    names = _task().labels(arrays)
    assert names == arrays.class_names == ["a", "b", "c"]
    assert arrays.y_train.dtype == np.float32
    assert arrays.y_train.tolist() == [[1, 1, 0], [1, 0, 1], [0, 0, 0], [1, 0, 0]]
    assert arrays.y_test.tolist() == [[0, 0, 1], [0, 0, 0]]


def test_a_test_label_never_seen_in_training_is_a_data_error():
    with pytest.raises(DataError, match=r"^csv: test labels never seen in training: 'x', 'y'$"):
        _task().labels(_tags((["a|b", "b"], ["a|x", "y| b"])))


def test_a_training_split_without_labels_is_a_data_error():
    with pytest.raises(DataError, match="no example of the training split has a label"):
        _task().labels(_tags((["|", " | "], None)))


def _npz(tmp_path, y_train, y_test, **options) -> Arrays:
    x = np.zeros((len(y_train), 2), dtype="float32")
    np.savez(tmp_path / "l.npz", x_train=x, y_train=y_train, x_test=x[: len(y_test)], y_test=y_test)
    return Npz(path=tmp_path / "l.npz", kind="array", **options).load()


def test_labels_from_an_npz_string_array(tmp_path):
    arrays = _npz(tmp_path, np.array(["cat|dog", "dog", ""]), np.array(["cat"]))
    assert _task().labels(arrays) == ["cat", "dog"]
    assert arrays.y_train.tolist() == [[1, 1], [0, 1], [0, 0]]


def test_labels_from_an_npz_matrix_take_class_names_or_column_numbers(tmp_path):
    matrix = np.array([[1, 0, 1], [0, 0, 1]], dtype="int64")
    arrays = _npz(tmp_path, matrix, matrix[:1])  # the loader makes up names 0..1 from the values
    assert _task().labels(arrays) == ["0", "1", "2"]
    assert arrays.y_train.dtype == np.float32 and arrays.y_test.tolist() == [[1, 0, 1]]
    named = _npz(tmp_path, matrix.astype("float32"), matrix[:1], class_names=["red", "green", "blue"])
    assert _task().labels(named) == ["red", "green", "blue"]
    with pytest.raises(DataError, match=r"^data.options.class_names: 2 names for a label matrix of 3 columns"):
        _task().labels(_npz(tmp_path, matrix, matrix[:1], class_names=["red", "green"]))
    with pytest.raises(DataError, match=r"test labels must be an \(N, 3\) 0/1 matrix.*shape=\(1, 2\)"):
        # (float: with integer matrices of two widths the npz loader fails first, making up names)
        _task().labels(_npz(tmp_path, matrix.astype("float32"), matrix[:1, :2].astype("float32")))
    with pytest.raises(DataError, match=r"a training label matrix must hold 0 and 1 only. Received: \[0 1 2\]"):
        _task().labels(_npz(tmp_path, matrix * np.array([1, 1, 2]), matrix[:1]))


def test_config_defaults_and_the_threshold():
    config = parse_config(_config(train={"epochs": 1}))
    assert config.train.loss.type_name == "binary_crossentropy"
    assert [m.type_name for m in config.train.metrics] == ["accuracy", "f1"]
    assert config.eval.metrics == sorted(task_of(config).report_metrics)
    assert yaml.safe_load(dump_config(config))["eval"]["threshold"] == 0.5
    with pytest.raises(ConfigError, match=r"^config: eval.threshold: Input should be less than 1. Received: 1.5$"):
        parse_config(_config(eval={"threshold": 1.5}))
    with pytest.raises(ConfigError, match=r"eval.threshold: only for task multilabel \(task is 'classification'\)"):
        parse_config(_config(task="classification"))
    with pytest.raises(ConfigError, match=r"train.loss.type: 'mean_squared_error' does not fit task 'multilabel'"):
        parse_config(_config(train={"loss": "mse"}))
    with pytest.raises(ConfigError, match=r"train.class_weight: only for task"):
        parse_config(_config(train={"class_weight": "balanced"}))


@pytest.fixture
def fixed():
    rng = np.random.default_rng(3)
    y = (rng.random((60, 4)) < 0.4).astype("float32")
    y[:, 3] = 0  # a label no example of the split has: macro averages must count it as sklearn does
    outputs = np.clip(0.6 * y + 0.5 * rng.random((60, 4)), 0, 1).astype("float32")
    return y, outputs


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.8])
def test_report_equals_scikit_learn(fixed, threshold, tmp_path):
    y, outputs = fixed
    task = _task(eval={"threshold": threshold})
    report = task.report(y, outputs)
    pred = (outputs > threshold).astype(int)
    for average in ("micro", "macro"):
        for name, score in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
            expected = score(y.astype(int), pred, average=average, zero_division=0)
            assert report[f"{average}_{name}"] == pytest.approx(expected, abs=1e-6)
    assert report["subset_accuracy"] == pytest.approx(skm.accuracy_score(y.astype(int), pred), abs=1e-6)

    written = task.write_report(Split(None, y), outputs, ["a", "b", "c", "d"], tmp_path, "test split")
    p, r, f, s = skm.precision_recall_fscore_support(y.astype(int), pred, zero_division=0)
    rows = written["per_label_report"]
    assert [row["label"] for row in rows] == ["a", "b", "c", "d"]
    assert [row["support"] for row in rows] == s.tolist() and rows[3]["support"] == 0
    for key, values in (("precision", p), ("recall", r), ("f1", f)):
        assert [row[key] for row in rows] == pytest.approx(values.tolist(), abs=1e-6)
    assert (tmp_path / "per_label_f1.png").stat().st_size > 0
    (table,) = task.report_tables(written)
    assert table.columns == ["label", "precision", "recall", "f1", "support"] and table.rows[0][0] == "a"


def test_report_takes_logits_when_the_loss_does(fixed):
    y, outputs = fixed
    task = _task(train={"loss": {"type": "binary_crossentropy", "from_logits": True}})
    logits = np.log(outputs + 1e-6) - np.log(1 - outputs + 1e-6)
    assert task.report(y, logits)["micro_f1"] == pytest.approx(_task().report(y, outputs)["micro_f1"], abs=1e-6)


def test_eval_metrics_can_be_chosen():
    task = _task(eval={"metrics": ["micro_f1", "subset_accuracy"]})
    eye = np.eye(3, dtype="float32")
    assert set(task.report(eye, eye)) == {"micro_f1", "subset_accuracy"}
    with pytest.raises(
        ConfigError,
        match=r"eval.metrics.0: 'accuracy' does not fit task 'multilabel'; metrics for task 'multilabel': macro",
    ):
        parse_config(_config(eval={"metrics": ["accuracy"]}))


def test_predict_rows_list_the_labels_above_the_threshold():
    output, classes = np.array([0.91, 0.2, 0.77, 0.5], dtype="float32"), ["a", "b", "c", "d"]
    row = _task().describe(output, classes, top_k=3)
    assert [(t["label"], round(t["probability"], 2)) for t in row["labels"]] == [("a", 0.91), ("c", 0.77)]
    assert row["probabilities"] == pytest.approx({"a": 0.91, "b": 0.2, "c": 0.77, "d": 0.5})
    assert _task().shown(row) == ("a|c", "0.9100|0.7700", "a 0.910, c 0.770, d 0.500")
    assert [t["label"] for t in _task(eval={"threshold": 0.8}).describe(output, classes, 3)["labels"]] == ["a"]
    none = _task(eval={"threshold": 0.95}).describe(output, classes, 2)
    assert none["labels"] == [] and _task().shown(none) == ("(none)", "", "a 0.910, c 0.770")


def test_predict_scores_rows_against_target_cells():
    rows = [
        {"labels": [{"label": "a", "probability": 0.9}]},
        {"labels": []},
        {"labels": [{"label": "b", "probability": 0.6}]},
    ]
    task = _task()
    parts = task.score_parts(Rows(rows, task.shown), ["a", "|", "b|zzz"], ["a", "b"])  # zzz: never seen, so missed
    figures, scored = task.score_figures(np.concatenate([parts[:1], parts[1:]]), ["a", "b"])  # two batches
    assert scored == 3 and figures["subset_accuracy"] == pytest.approx(2 / 3)
    y_true, y_pred = [[1, 0, 0], [0, 0, 0], [0, 1, 1]], [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    assert figures["micro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="micro"))
