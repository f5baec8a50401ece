"""Issue 19's small things: what `dlkit train`, `runs`, `validate`, `predict` and `list` show, epochs
counted from 1 everywhere, Keras's download messages kept off stdout, a GAN's own NaN advice."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from conftest import REPO, TINY, write_config

QUICKSTART = REPO / "configs" / "quickstart.yaml"


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


def test_validate_says_one_line_and_show_prints_the_resolved_config(cli):
    result = cli("validate", QUICKSTART)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"{QUICKSTART}: valid (classification on digits, 30 epochs)"]
    shown = cli("validate", QUICKSTART, "--show", "--set", "train.epochs=3")
    assert shown.exit_code == 0 and "epochs: 3" in shown.stdout and "beta_1: 0.9" in shown.stdout


def test_a_regression_predict_table_has_no_probability_columns(tmp_path, cli):
    table = tmp_path / "diabetes.csv"
    assert cli("to-csv", "diabetes", table).exit_code == 0
    config = {
        "name": "reg",
        "seed": 1,
        "task": "regression",
        "data": {"dataset": "csv", "options": {"path": str(table), "target": "target"}, "batch_size": 64},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"epochs": 1},
    }
    trained = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    run_dir = trained.stdout.strip().splitlines()[-1]
    result = cli("predict", table, "--run", run_dir)
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "prediction" in line)
    assert "probability" not in header and "top" not in header
    values = [line.split("│")[2].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(values) == 442 and all(re.fullmatch(r"-?\d+(\.\d+)?(e[-+]\d+)?", v) for v in values[:5])


def test_list_shows_a_description_whole(cli):
    from dlkit.core.registries import REGISTRIES
    from dlkit.core.registry import first_sentence

    summaries = {name: summary for name, summary, _ in REGISTRIES["preprocess"].describe()}
    assert summaries["normalize"].endswith("per channel (or feature), as fitted on the training split.")
    assert first_sentence("Crop it.\n    Then more.") == "Crop it."
    assert first_sentence("A long one\n    on two lines (e.g. this). Next.") == "A long one on two lines (e.g. this)."
    assert first_sentence("Attention, a.k.a. Bahdanau-style. More.") == "Attention, a.k.a. Bahdanau-style."
    result = cli("list", "preprocess")
    assert result.exit_code == 0 and "training split." in result.stdout


def test_keras_download_messages_go_to_stderr(tmp_path, monkeypatch, capsys):
    import keras
    from keras.src.datasets import mnist
    from keras.src.utils import io_utils

    from dlkit.core.registries import DATASETS

    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras.src.backend.config, "_KERAS_DIR", str(home))
    served = tmp_path / "mnist.npz"
    rng = np.random.default_rng(0)
    arrays = {f"x_{s}": rng.integers(0, 255, (4, 28, 28), dtype="uint8") for s in ("train", "test")}
    np.savez(served, **arrays, y_train=np.arange(4), y_test=np.arange(4))

    def get_file(fname, *args, **kwargs):  # Keras's own download message, the file already here
        io_utils.print_msg(f"Downloading data from https://example.invalid/{fname}")
        return str(served)

    monkeypatch.setattr(mnist, "get_file", get_file)
    assert DATASETS.get("mnist")().load().x_train.shape == (4, 28, 28, 1)
    captured = capsys.readouterr()
    assert "Downloading data from" in captured.err and "Downloading" not in captured.out


def test_a_gan_nan_names_its_own_optimizers(tmp_path, cli):
    config = {
        "name": "nan_gan",
        "seed": 3,
        "task": "gan",
        "data": {"dataset": "digits", "preprocess": [{"type": "rescale", "scale": float("nan")}], "batch_size": 64},
        "model": {
            "latent_dim": 8,
            "generator": {"layers": [{"type": "dense", "units": 64}, {"type": "reshape", "target_shape": [8, 8, 1]}]},
            "discriminator": {"layers": ["flatten", {"type": "dense", "units": 1}]},
        },
        "train": {"epochs": 1},
    }
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("dlkit: error: loss became NaN at epoch 1") and "Traceback" not in result.stderr
    assert "train.discriminator_optimizer.learning_rate" in line and "train.optimizer" not in line
