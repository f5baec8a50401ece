"""task: multilabel: label encoding, the output check, the reports and predict rows without
training, and one run of the shipped config through train -> eval -> predict."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn import metrics as skm

from conftest import REPO, write_config
from dlkit.config.loader import dump_config, parse_config
from dlkit.core.errors import ConfigError, DataError
from dlkit.data.dataset import Arrays
from dlkit.data.npz import Npz
from dlkit.data.splits import Split
from dlkit.engine.task import task_of

CONFIG = REPO / "configs" / "multilabel_csv.yaml"


def make_tags_csv(folder: Path) -> Path:
    """The shipped config's data, made by running the snippet its header documents in `folder`."""
    header = CONFIG.read_text().split("\nname:")[0]
    snippet = re.search(r"<<'EOF'\n(.*?)\n#\s+EOF", header, re.S).group(1)
    code = "\n".join(line.removeprefix("#").strip() for line in snippet.splitlines())
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)
    return folder / "data" / "tags.csv"


def _config(**changes) -> dict:
    data = yaml.safe_load(CONFIG.read_text())
    for key, value in changes.items():
        section, _, name = key.partition("__")
        data[section] = {**data[section], name: value} if name else value
    return data


def _task(**changes):
    return task_of(parse_config(_config(**changes)))


def _tags(values) -> Arrays:
    y_train, y_test = (None if v is None else np.array(v, dtype=object) for v in values)
    return Arrays(x_train=None, y_train=y_train, y_test=y_test)


# --- labels ---


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


# --- config ---


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


# --- the last layer ---


def test_the_last_layer_must_give_one_unit_per_label(tmp_path, cli):
    path = make_tags_csv(tmp_path)
    config = _config(data__options={"path": str(path), "target": "tags"})
    config["model"]["layers"][-1]["units"] = 3
    expected = (
        "model.layers.2: the last layer gives 3 outputs per example, but csv has 4 labels "
        "(one sigmoid unit each); set units: 4"
    )
    dry = cli("validate", write_config(tmp_path, config), "--dry-run")
    assert dry.exit_code == 2 and dry.stderr.strip() == f"dlkit: error: {expected}"
    trained = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 2 and expected in trained.stderr and not (tmp_path / "runs").exists()
    config["model"]["layers"][-1]["units"] = 4
    summary = cli("validate", write_config(tmp_path, config), "--dry-run", "--json").stdout
    assert json.loads(summary)["output_shape"] == [4]


# --- reports and predict rows, from fixed outputs ---


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
    figures, scored = _task().score_rows(rows, ["a", "|", "b|zzz"], ["a", "b"])  # zzz: never seen, so missed
    assert scored == 3 and figures["subset_accuracy"] == pytest.approx(2 / 3)
    y_true, y_pred = [[1, 0, 0], [0, 0, 0], [0, 1, 1]], [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    assert figures["micro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="micro"))


# --- end to end ---


def _label_sets(cells) -> list[set[str]]:
    return [{t.strip() for t in str(cell).split("|")} - {""} for cell in cells]


@pytest.mark.slow
def test_shipped_config_trains_evaluates_and_predicts(tmp_path, cli):
    frame = pd.read_csv(make_tags_csv(tmp_path))
    frame[:800].to_csv(tmp_path / "train.csv", index=False)
    frame[800:].to_csv(tmp_path / "test.csv", index=False)
    sets = [f"data.options.path={tmp_path / 'train.csv'}", f"data.options.test_path={tmp_path / 'test.csv'}"]
    sets += ["train.epochs=25"]
    result = cli("train", CONFIG, "--runs-dir", tmp_path / "runs", "-q", *[a for s in sets for a in ("--set", s)])
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    test = json.loads((run_dir / "metrics.json").read_text())["test"]
    assert test["micro_f1"] > 0.9 and test["macro_f1"] > 0.8
    assert test["micro_f1"] == pytest.approx(test["f1"], abs=1e-6)  # the training metric is micro F1 at 0.5
    assert json.loads((run_dir / "run.json").read_text())["headline"] == {"micro_f1": test["micro_f1"]}

    # The training metric f1 equals scikit-learn's micro F1 of the saved model's test predictions.
    predicted = cli("predict", tmp_path / "test.csv", "--run", run_dir, "--json", "-o", tmp_path / "out.csv")
    assert predicted.exit_code == 0, predicted.stderr
    rows = json.loads(predicted.stdout)["predictions"]
    assert f"target column 'tags' present: micro_f1 {test['micro_f1']:.4g}" in predicted.stderr
    labels = ["a", "b", "c", "d"]
    y_true = np.array([[name in s for name in labels] for s in _label_sets(frame[800:]["tags"])], dtype=int)
    y_pred = np.array([[row["probabilities"][name] > 0.5 for name in labels] for row in rows], dtype=int)
    assert test["f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="micro"), abs=1e-6)
    for row in rows:  # the labels above 0.5, most probable first
        probabilities = row["probabilities"]
        above = sorted((n for n in labels if probabilities[n] > 0.5), key=lambda n: -probabilities[n])
        assert [t["label"] for t in row["labels"]] == above
    written = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)["prediction"]
    assert written.tolist() == ["|".join(t["label"] for t in row["labels"]) or "(none)" for row in rows]
    assert "(none)" in written.tolist()

    # dlkit eval: the same figures, a per-label report; --set eval.threshold moves only the report.
    evaluated = cli("eval", run_dir)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert json.loads((run_dir / "eval" / "metrics.json").read_text())["test"] == pytest.approx(test, abs=1e-6)
    report = json.loads((run_dir / "eval" / "per_label_report.json").read_text())
    assert [row["label"] for row in report] == labels and "per label" in evaluated.stdout
    strict = cli("eval", run_dir, "--set", "eval.threshold=0.9")
    assert strict.exit_code == 0, strict.stderr
    at_09 = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert at_09["f1"] == pytest.approx(test["f1"], abs=1e-6)
    assert at_09["micro_recall"] < test["micro_recall"]

    # A run whose config says eval.threshold: 0.9 lists fewer labels (each a subset of those at 0.5).
    copy = tmp_path / "strict-run"
    shutil.copytree(run_dir, copy)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["eval"]["threshold"] = 0.9
    (copy / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    strict_rows = json.loads(cli("predict", tmp_path / "test.csv", "--run", copy, "--json").stdout)["predictions"]
    at_05 = [{t["label"] for t in row["labels"]} for row in rows]
    at_09 = [{t["label"] for t in row["labels"]} for row in strict_rows]
    assert all(strict <= loose for strict, loose in zip(at_09, at_05, strict=True)) and at_09 != at_05
    assert all(t["probability"] > 0.9 for row in strict_rows for t in row["labels"])
