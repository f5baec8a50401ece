"""Where a run's time goes (`run.json`'s timings, `dlkit train -v`), the training split scored on a
sample that eval agrees with, and the exit without TensorFlow's teardown."""

import json
import os
import sys

import numpy as np
import pytest

from conftest import TINY, write_config
from dlkit.core.timings import PHASES
from dlkit.data import prepared as prepare_module


def test_run_json_records_the_phases_and_v_prints_them(tmp_path, cli):
    result = cli("train", write_config(tmp_path, TINY), "--runs-dir", tmp_path / "runs", "-q", "-v")
    assert result.exit_code == 0, result.stderr
    run_dir = tmp_path / "runs" / result.stdout.strip().splitlines()[-1].split("/")[-1]
    timings = json.loads((run_dir / "run.json").read_text())["timings"]
    assert list(timings) == [*PHASES, "total"]
    assert all(seconds >= 0 for seconds in timings.values())
    assert sum(timings[p] for p in PHASES) == pytest.approx(timings["total"], abs=0.01)
    assert timings["fit"] > 0 and timings["evaluate"] > 0
    shown = result.stdout.strip().splitlines()[-2]
    assert shown.startswith("time: startup ") and shown.endswith(f"total {timings['total']:.1f} s")


def test_a_large_training_split_is_scored_on_a_seeded_sample_eval_agrees(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(prepare_module, "SCORED_TRAIN", 100)  # the digits' 1,150 training images: more
    result = cli("train", write_config(tmp_path, TINY), "--runs-dir", tmp_path / "runs", "-q")
    run_dir = tmp_path / "runs" / result.stdout.strip().splitlines()[-1].split("/")[-1]
    trained = json.loads((run_dir / "metrics.json").read_text())["train"]
    assert cli("eval", run_dir, "--split", "train").exit_code == 0
    evaluated = json.loads((run_dir / "eval" / "metrics.json").read_text())["train"]
    assert evaluated == pytest.approx(trained, abs=1e-6)
    report = json.loads((run_dir / "eval" / "confusion_matrix.json").read_text())
    assert np.asarray(report["matrix"]).sum() == 100


def test_main_exits_with_the_commands_code_without_teardown(trained_run, monkeypatch, capsys):
    from dlkit.cli import main

    codes = []

    def exit_now(code):
        codes.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")  # what main sets, undone after the test
    monkeypatch.setattr("logging.shutdown", lambda: None)  # pytest's own log handlers stay open
    run_dir, _ = trained_run
    for argv, code in ((["eval", str(run_dir)], 0), (["eval", str(run_dir), "--split", "dev"], 2)):
        monkeypatch.setattr(sys, "argv", ["dlkit", *argv])
        with pytest.raises(SystemExit):
            main()
        assert codes[-1] == code
    assert "dlkit: error:" in capsys.readouterr().err
