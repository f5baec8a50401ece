"""`dlkit compare` and `dlkit runs --sort/--filter` on run folders written here (no training, no
TensorFlow): the config keys that differ, every figure with the best marked by its direction, the
baselines and the model's margin over them, sorting and filtering by dotted keys, and refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from dlkit.commands.compare import (
    baseline_table,
    config_differences,
    flatten,
    gather,
    margin,
    metric_differences,
    metric_table,
    select,
)
from dlkit.core.errors import UsageError
from dlkit.core.run_record import BadRunFile


def _run(folder: Path, name: str, accuracy: float, loss: float, epochs: int = 2, **info) -> Path:
    run = folder / name
    run.mkdir(parents=True)
    config = {"name": "tiny", "data": {"dataset": "digits"}, "train": {"epochs": epochs, "optimizer": {"type": "adam"}}}
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    record = {
        "status": "completed",
        "input": {"kind": "image"},
        "dataset": "digits",
        "headline": {"accuracy": accuracy},
    }
    (run / "run.json").write_text(json.dumps(record | info))
    metrics = {
        "test": {"accuracy": accuracy, "loss": loss},
        "baselines": {"majority": {"test": {"accuracy": 0.1}}, "logistic": {"test": {"accuracy": 0.9}}},
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


@pytest.fixture
def runs(tmp_path) -> list[Path]:
    return [
        _run(tmp_path / "runs", "a-20260101-000001", 0.95, 0.20),
        _run(tmp_path / "runs", "b-20260101-000002", 0.97, 0.30, epochs=5),
        _run(tmp_path / "runs", "c-20260101-000003", 0.97, 0.10, epochs=5, status="failed"),
    ]


def test_flatten_writes_the_keys_as_set_does():
    tree = {"model": {"layers": [{"type": "dense", "units": 3}, "flatten"]}, "tags": [], "data": {}}
    assert flatten(tree) == {"model.layers.0.type": "dense", "model.layers.0.units": 3, "model.layers.1": "flatten",
                             "tags": [], "data": {}}  # fmt: skip


def test_the_config_keys_that_differ_and_the_best_figures(runs):
    found, skipped = gather(runs)
    assert [run.label for run in found] == [run.name for run in runs] and skipped == []
    assert config_differences(found) == {"train.epochs": {runs[0].name: 2, runs[1].name: 5, runs[2].name: 5}}
    table = metric_table(found)
    assert table["test"]["accuracy"]["best"] == [runs[1].name, runs[2].name]  # higher is better: both
    assert table["test"]["loss"]["best"] == [runs[2].name] and table["test"]["loss"]["direction"] == "down"
    assert baseline_table(found)["logistic"]["test"]["accuracy"] == dict.fromkeys((r.name for r in runs), 0.9)


def test_a_folder_stands_for_its_runs_and_a_bad_run_in_it_is_left_out(runs, tmp_path):
    (runs[2] / "run.json").write_text('{"status": ')
    found, skipped = gather([tmp_path / "runs"])
    assert [run.label for run in found] == [runs[0].name, runs[1].name]
    assert len(skipped) == 1 and isinstance(skipped[0], BadRunFile) and skipped[0].path == runs[2] / "run.json"
    with pytest.raises(BadRunFile):  # named itself, it is refused
        gather([runs[0], runs[2]])


def test_what_compare_cannot_take_is_one_line(runs, tmp_path):
    (tmp_path / "empty").mkdir()
    for paths, said in [
        ([runs[0]], "compare needs at least 2 runs; "),
        ([runs[0], tmp_path / "nowhere"], f"{tmp_path / 'nowhere'}: no such folder"),
        (
            [runs[0], tmp_path / "empty"],
            f"{tmp_path / 'empty'}: neither a run folder (no run.json) nor a folder of runs",
        ),
    ]:
        with pytest.raises(UsageError) as refused:
            gather(paths)
        assert str(refused.value).startswith(said) and "\n" not in str(refused.value)


def test_the_margin_over_the_best_baseline_follows_the_figures_direction():
    metrics = {"baselines": {"mean": {"test": {"mae": 3.0}}, "median": {"test": {"mae": 2.5}}}}
    assert margin(metrics, {"mae": 2.0}) == pytest.approx(0.5)  # an error: below the best baseline is ahead
    assert margin(metrics, {"mae": 3.5}) == pytest.approx(-1.0)
    accuracy = {"baselines": {"majority": {"test": {"accuracy": 0.1}}, "logistic": {"test": {"accuracy": 0.9}}}}
    assert margin(accuracy, {"accuracy": 0.95}) == pytest.approx(0.05)
    assert margin(accuracy, {"accuracy": 0.95, "loss": 0.1}) is None and margin({}, {"accuracy": 0.9}) is None


def test_metric_differences_key_by_key():
    original = {"test": {"accuracy": 0.9, "loss": math.nan}}
    rows = metric_differences(original, {"test": {"accuracy": 0.8, "loss": math.nan, "f1": 1.0}})
    assert [row["key"] for row in rows] == ["test.accuracy", "test.loss", "test.f1"]
    assert [row["equal"] for row in rows] == [False, True, False]  # NaN and NaN: the same figure
    assert rows[0]["difference"] == pytest.approx(-0.1) and rows[2]["original"] is None
    assert rows[2]["difference"] is None and rows[2]["reproduced"] == 1.0


def test_runs_sort_by_a_figure_best_first_and_filter_by_any_key(runs):
    assert select(runs, sort="test.loss") == [runs[2], runs[0], runs[1]]  # lower loss first
    assert select(runs, sort="test.accuracy") == [runs[1], runs[2], runs[0]]  # higher first, ties as listed
    assert select(runs, sort="test.accuracy", reverse=True) == [runs[0], runs[1], runs[2]]
    assert select(runs, filters=["train.epochs=5"]) == [runs[1], runs[2]]
    assert select(runs, filters=["train.epochs=5", "status=completed"]) == [runs[1]]
    assert select(runs, filters=["test.accuracy=0.97"]) == [runs[1], runs[2]]
    assert select(runs, filters=["train.optimizer.type=adam", "dataset=digits"]) == runs


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"sort": "test.acuracy"}, "--sort test.acuracy: no run here has this key; did you mean 'test.accuracy'?"),
        ({"sort": "test"}, "--sort test: no run here has this key; keys under it: test.accuracy, test.loss"),
        (
            {"filters": ["epochs"]},
            "--filter: expected KEY=VALUE (a dotted key, e.g. dataset=digits). Received: 'epochs'",
        ),
    ],
)
def test_a_key_no_run_has_is_one_line_naming_the_close_ones(runs, options, said):
    with pytest.raises(UsageError) as refused:
        select(runs, **options)
    assert str(refused.value) == said
