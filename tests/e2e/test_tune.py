"""`dlkit tune`: studies of tiny digits models, 1-2 epochs a trial, on the SQLite storage."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
from pathlib import Path

import pytest
import yaml

from conftest import TINY, write_config
from dlkit.tuning import trials as trial_loop
from helpers.tune import SPACE, tune_config


def run_tune(cli, config: Path, *args):
    return cli("tune", config, "--runs-dir", config.parent / "runs", *args)


def study_folder(result) -> Path:
    return Path(result.stdout.strip().splitlines()[-1])


def test_a_study_finds_a_best_trial_and_writes_its_config(cli, tmp_path):
    result = run_tune(cli, tune_config(tmp_path))
    assert result.exit_code == 0, result.stderr
    folder = study_folder(result)
    assert folder.parent == tmp_path / "runs" and folder.name.startswith("tiny-tune-")
    summary = json.loads((folder / "tune.json").read_text())
    assert summary["states"]["complete"] == 4 and len(summary["trials"]) == 4
    values = [row["val_accuracy"] for row in summary["trials"]]
    assert summary["best"]["value"] == max(values) == values[0]  # best first
    best = summary["best"]
    for row in summary["trials"]:  # each trial is a normal run folder with its sampled values
        config = yaml.safe_load((folder / row["run"] / "config.yaml").read_text())
        assert config["data"]["batch_size"] == row["data.batch_size"]
        assert config["model"]["layers"][0]["filters"] == row["model.layers.0.filters"]
        assert "tune" not in config
        assert (folder / row["run"] / "model.keras").is_file()
    assert len({tuple(row[k] for k in SPACE) for row in summary["trials"]}) == 4
    best_yaml = yaml.safe_load((folder / "best.yaml").read_text())
    assert best_yaml["train"]["optimizer"]["learning_rate"] == best["params"]["train.optimizer.learning_rate"]
    assert "tune" not in best_yaml
    assert cli("validate", folder / "best.yaml").exit_code == 0
    with open(folder / "leaderboard.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["trial"]) for r in rows] == [row["trial"] for row in summary["trials"]]
    assert (folder / "plots" / "optimization_history.png").stat().st_size > 1000
    assert (folder / "plots" / "param_importances.png").stat().st_size > 1000
    assert "best: trial" in result.stderr and "val_accuracy" in result.stdout

    again = run_tune(cli, tune_config(tmp_path))  # the same command: the study is complete already
    assert again.exit_code == 0, again.stderr
    assert study_folder(again) == folder and "trial" not in again.stderr.split("best:")[0]

    fresh = run_tune(cli, tune_config(tmp_path), "--new", "--trials", "1")
    assert fresh.exit_code == 0, fresh.stderr
    assert study_folder(fresh) != folder
    assert len(json.loads((study_folder(fresh) / "tune.json").read_text())["trials"]) == 1


def test_an_interrupted_study_continues_to_the_requested_trials(cli, tmp_path, monkeypatch):
    make_reporter, stopped = trial_loop._reporter, []

    def interrupting(trial, metric):  # Ctrl-C once, after trial 1's first epoch
        reporter = make_reporter(trial, metric)
        report = reporter.on_epoch_end

        def on_epoch_end(epoch, logs=None):
            report(epoch, logs)
            if trial.number == 1 and not stopped:
                stopped.append(epoch)
                os.kill(os.getpid(), signal.SIGINT)

        reporter.on_epoch_end = on_epoch_end
        return reporter

    monkeypatch.setattr(trial_loop, "_reporter", interrupting)
    config = tune_config(tmp_path, pruner="none")
    first = run_tune(cli, config)
    assert first.exit_code == 1
    assert "interrupted in trial 1; the study goes on (resuming that trial) with: dlkit tune" in first.stderr
    folder = next((tmp_path / "runs").glob("tiny-tune-*"))
    assert json.loads((folder / "trial-001" / "run.json").read_text())["status"] == "interrupted"
    assert not (folder / "trial-002").exists()

    again = run_tune(cli, config)
    assert again.exit_code == 0, again.stderr
    assert study_folder(again) == folder
    summary = json.loads((folder / "tune.json").read_text())
    assert summary["states"]["complete"] == 4 and len(summary["trials"]) == 4
    resumed = json.loads((folder / "trial-001" / "run.json").read_text())
    assert resumed["status"] == "completed" and resumed["resumed"][0]["from_epoch"] == 1  # no work lost
    assert "trial 1: resuming" in again.stderr


def test_two_workers_share_one_study_with_distinct_trials(cli, tmp_path):
    result = run_tune(cli, tune_config(tmp_path, sampler="random"), "--workers", "2")
    assert result.exit_code == 0, result.stderr
    folder = study_folder(result)
    summary = json.loads((folder / "tune.json").read_text())
    assert summary["states"]["complete"] == 4 and len(summary["trials"]) == 4
    assert len({tuple(row[k] for k in SPACE) for row in summary["trials"]}) == 4
    pids = {json.loads((folder / row["run"] / "run.json").read_text())["pid"] for row in summary["trials"]}
    assert len(pids) == 2, (folder / "worker-1.log").read_text()
    assert (folder / "study.db").is_file()


def test_a_failing_trial_is_recorded_and_the_study_goes_on(cli, tmp_path):
    space = {"model.layers.0.kernel_size": {"type": "categorical", "choices": [3, 20]}}  # 20 > the 8x8 image
    result = run_tune(cli, tune_config(tmp_path, sampler="grid", space=space))
    assert result.exit_code == 0, result.stderr
    summary = json.loads((study_folder(result) / "tune.json").read_text())
    assert summary["states"] == {"complete": 1, "pruned": 0, "running": 0, "fail": 1}
    assert "the grid has 2 combinations: 2 trials, not 4" in result.stderr
    failed = summary["trials"][-1]
    assert failed["state"] == "fail" and failed["model.layers.0.kernel_size"] == 20 and failed["error"]
    assert summary["best"]["params"] == {"model.layers.0.kernel_size": 3}


def test_a_bad_trial_is_pruned_on_its_epoch_curve(cli, tmp_path):
    space = {"train.optimizer.learning_rate": {"type": "categorical", "choices": [0.02, 1e-7]}}
    pruner = {"type": "median", "startup_trials": 1}
    config = tune_config(tmp_path, sampler="grid", pruner=pruner, space=space, metric="val_loss")
    result = run_tune(cli, config, "--set", "train.epochs=3")
    assert result.exit_code == 0, result.stderr
    rows = sorted(json.loads((study_folder(result) / "tune.json").read_text())["trials"], key=lambda r: r["trial"])
    assert [r["train.optimizer.learning_rate"] for r in rows] == [0.02, 1e-7]  # the grid's order for seed 7
    assert [r["state"] for r in rows] == ["complete", "pruned"]
    assert rows[1]["epochs"] == 1 and "trial 1: pruned after epoch 1" in result.stderr


@pytest.mark.parametrize(
    ("tune", "message"),
    [
        (
            {"space": {"train.optimiser.learning_rate": {"type": "float", "low": 1e-3, "high": 1e-2}}},
            r"config.yaml:\d+: tune.space: train.optimiser: unknown key; did you mean 'optimizer'\? "
            r"\(with train.optimiser.learning_rate=0.001\)",
        ),
        (
            {"space": {"data.batch_size": {"type": "categorical", "choices": [32, 0]}}},
            r"tune.space: data.batch_size: Input should be greater than 0. Received: 0",
        ),
        (
            {"space": {"model.layers.5.units": {"type": "int", "low": 1, "high": 4}}},
            r"tune.space: model.layers.5.units: model.layers.5: no item 5 in a list of 3",
        ),
        (
            {"space": {"tune.trials": {"type": "int", "low": 1, "high": 4}}},
            r"tune.space: tune.trials: the search cannot change tune:",
        ),
        (
            {"space": {"data.batch_size": {"type": "int", "low": 64, "high": 8}}},
            r"tune.space.data.batch_size: low must not exceed high. Received: low=64, high=8",
        ),
        (
            {"space": {"train.optimizer.learning_rate": {"type": "float", "low": 0, "high": 1, "log": True}}},
            r"log: true needs low > 0",
        ),
        (
            {"space": {"data.batch_size": {"type": "integer", "low": 8, "high": 64}}},
            r"unknown search distribution 'integer'; did you mean 'int'\?",
        ),
        ({"sampler": "grid"}, r"tune.space.train.optimizer.learning_rate: the grid sampler needs a step"),
        ({"sampler": "bayes"}, r"tune.sampler.type: unknown sampler 'bayes'"),
        ({"metric": "val_acc"}, r"tune.metric: 'val_acc' is not logged; did you mean 'val_accuracy'\?"),
    ],
)
def test_a_bad_search_is_refused_before_any_trial(cli, tmp_path, tune, message):
    config = tune_config(tmp_path, **tune)
    for command in ("tune", "validate"):
        result = run_tune(cli, config) if command == "tune" else cli("validate", config)
        assert result.exit_code == 2, result.stdout
        assert len(result.stderr.strip().splitlines()) == 1
        assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "runs").exists()


def test_tune_needs_a_tune_section(cli, tmp_path):
    result = cli("tune", write_config(tmp_path, TINY), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    assert "no tune: section" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_a_wrong_storage_is_one_line_and_leaves_no_folder(cli, tmp_path):
    result = run_tune(cli, tune_config(tmp_path), "--storage", "nosuch://host/db")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "dlkit: error: --storage nosuch://host/db: cannot open the study: Can't load plugin: sqlalchemy.dialects:nosuch"
    )
    assert not (tmp_path / "runs" / "tiny-tune").exists()
