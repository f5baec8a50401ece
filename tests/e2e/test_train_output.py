"""What `dlkit train` shows as users run it (no -q, output to a pipe): the split sizes, one plain line
per epoch, epochs counted from 1 in history.csv and run.json; `dlkit runs` on such runs."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from conftest import TINY, write_config


@pytest.fixture(scope="module")
def shown_run(tmp_path_factory):
    """A tiny run trained as a user runs it (no -q), its output going to a pipe: (run folder, stderr)."""
    from typer.testing import CliRunner

    from dlkit.cli import app

    folder = tmp_path_factory.mktemp("shown")
    result = CliRunner().invoke(app, ["train", str(write_config(folder, TINY)), "--runs-dir", str(folder / "runs")])
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]), result.stderr


def test_split_sizes_are_printed_as_training_starts(shown_run):
    _, stderr = shown_run
    assert stderr.splitlines()[0] == "data: 1,797 examples read, 1,797 used"
    line = stderr.splitlines()[1]
    sizes = re.fullmatch(r"train ([\d,]+) · val ([\d,]+) · test ([\d,]+)", line)
    assert sizes, line
    assert sum(int(n.replace(",", "")) for n in sizes.groups()) == 1797  # the embedded digits, split three ways


def test_a_pipe_gets_one_plain_line_per_epoch(shown_run):
    _, stderr = shown_run
    epochs = [line for line in stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/2", "2/2"]
    assert all(re.search(r"loss \d\.\d{4}.*val_accuracy \d\.\d{4}.*\(\d+\.\d s\)$", line) for line in epochs)
    assert "━" not in stderr and "…" not in stderr  # no progress bar, live or collapsed


def test_epochs_count_from_one_in_history_and_run_json(shown_run):
    run_dir, _ = shown_run
    with open(run_dir / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["1", "2"]
    info = json.loads((run_dir / "run.json").read_text())
    best = next(row for row in rows if int(row["epoch"]) == info["best_epoch"])
    assert float(best["val_loss"]) == pytest.approx(info["best"]["val_loss"])
    assert float(best["val_loss"]) == min(float(row["val_loss"]) for row in rows)


def _copy(run: Path, target: Path, **changes) -> Path:
    shutil.copytree(run, target, symlinks=True)
    info = json.loads((target / "run.json").read_text()) | changes
    (target / "run.json").write_text(json.dumps(info))
    return target


def test_runs_shows_whole_names_in_a_narrow_terminal(tmp_path, cli, shown_run, monkeypatch):
    names = [f"a_rather_long_experiment_name_{i}-20261129-071234" for i in range(2)]
    for name in names:
        _copy(shown_run[0], tmp_path / "runs" / name)
    monkeypatch.setattr("dlkit.cli.runs.out", Console(width=80, soft_wrap=True))
    result = cli("runs", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    for name in names:
        assert f" {name} " in result.stdout  # on one line, not cut
    assert "test" in result.stdout.splitlines()[2]  # the columns the runs fill are all there


def test_runs_of_a_gan_show_their_figures_and_no_empty_column(tmp_path, cli, shown_run):
    gan = _copy(shown_run[0], tmp_path / "runs" / "gan-1", task="gan", best={}, test=None, headline={})
    (gan / "metrics.json").write_text(json.dumps({"train": {"d_loss": 0.69, "g_loss": 0.71}}))
    result = cli("runs", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if " run " in line)
    assert "best" in header and "test" not in header  # no run has test figures: no column for them
    assert "d_loss 0.6900, g_loss 0.7100" in result.stdout  # the kept (last) epoch's figures as its best
