"""Tables beyond memory (issue 30): `data.options.stream: true` trains, evaluates and predicts from
the CLI on CSV shards and on Parquet, with the test figure of the table read in memory; a file over
`data.max_bytes` streams; what streaming cannot do is refused in one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, write_config
from helpers.data_bounds import one_error_line

pytestmark = pytest.mark.slow


def table(folder: Path, rows: int = 2400) -> pd.DataFrame:
    """An easy two-class table (a number, a blank here and there, a category that matters), in
    three CSV shards and a header-only one, in one CSV and in Parquet."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=rows).round(4), rng.normal(size=rows).round(4)
    colour = rng.choice(["red", "green"], rows)
    frame = pd.DataFrame({"a": a, "b": b, "colour": colour})
    frame["label"] = np.where(a + b + np.where(colour == "red", 1.0, -1.0) > 0, "yes", "no")
    frame.loc[[4, rows - 10], "b"] = np.nan
    frame.loc[11, "label"] = None
    for i in range(3):
        frame.iloc[i * rows // 3 : (i + 1) * rows // 3].to_csv(folder / f"part-{i}.csv", index=False)
    frame.iloc[:0].to_csv(folder / "part-3.csv", index=False)
    frame.to_csv(folder / "all.csv", index=False)
    frame.to_parquet(folder / "all.parquet")
    return frame


def config(folder: Path, path: Path, name: str = "config.yaml", **options) -> Path:
    return write_config(folder, {
        "task": "classification",
        "seed": 3,
        "data": {"dataset": "csv", "batch_size": 32,
                 "options": {"path": str(path), "target": "label", "missing": "mean", **options}},
        "model": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
        "train": {"epochs": 2, "optimizer": {"type": "adam", "learning_rate": 0.05}},
    }, name)  # fmt: skip


def trained(cli, config_path: Path, runs: Path, said: list | None = None) -> Path:
    done = cli("train", config_path, "--runs-dir", runs, "-q")
    assert done.exit_code == 0, done.output[-3000:]
    if said is not None:
        said.append(done.output)
    return Path(done.stdout.strip().splitlines()[-1])


def test_a_streamed_table_trains_evaluates_and_predicts_as_one_in_memory(cli, tmp_path):
    table(tmp_path)
    said = []
    streamed = trained(cli, config(tmp_path, tmp_path / "part-*.csv", stream=True), tmp_path / "runs", said)
    in_memory = trained(cli, config(tmp_path, tmp_path / "all.csv", "memory.yaml"), tmp_path / "runs")
    figures = json.loads((streamed / "metrics.json").read_text())
    memory = json.loads((in_memory / "metrics.json").read_text())
    assert figures["test"]["accuracy"] > 0.9 and abs(figures["test"]["accuracy"] - memory["test"]["accuracy"]) < 0.04
    assert "2,399 used (1 row left out with a blank target; streamed from 4 files, split by a hash of" in said[0]

    evaluated = cli("eval", streamed)
    assert evaluated.exit_code == 0, evaluated.output[-3000:]
    assert json.loads((streamed / "eval" / "metrics.json").read_text())["test"] == pytest.approx(figures["test"])

    for rows in ("all.csv", "all.parquet"):
        out = tmp_path / f"{rows}.predictions.csv"
        predicted = cli("predict", streamed, tmp_path / rows, "--output", out)
        assert predicted.exit_code == 0, predicted.output[-3000:]
        assert len(pd.read_csv(out)) == 2400
    assert pd.read_csv(tmp_path / "all.csv.predictions.csv")["prediction"].equals(
        pd.read_csv(tmp_path / "all.parquet.predictions.csv")["prediction"]
    )


def test_a_streamed_run_splits_the_same_way_twice_and_parquet_trains(cli, tmp_path):
    table(tmp_path)
    runs = [trained(cli, config(tmp_path, tmp_path / "all.parquet", stream=True), tmp_path / "runs") for _ in range(2)]
    first, second = (json.loads((run / "metrics.json").read_text()) for run in runs)
    assert first["test"] == pytest.approx(second["test"])  # the same rows, order and model
    assert first["test"]["accuracy"] > 0.9


def test_a_file_over_max_bytes_streams_and_is_refused_in_memory(cli, tmp_path):
    table(tmp_path)
    path = config(tmp_path, tmp_path / "all.csv")
    refused = cli("train", path, "--set", "data.max_bytes=10kB", "--runs-dir", tmp_path / "runs")
    assert refused.exit_code == 1 and "data.max_bytes is 10.0 kB" in one_error_line(refused)
    streamed = cli("train", path, "--set", "data.max_bytes=10kB", "--set", "data.options.stream=true",
                   "--runs-dir", tmp_path / "runs", "-q")  # fmt: skip
    assert streamed.exit_code == 0, streamed.output[-3000:]


def test_two_local_workers_train_a_streamed_table_as_one_process_does(cli, tmp_path):
    """Each worker reads every row and keeps its share of each batch: the figures of one process."""
    table(tmp_path, rows=1200)
    path = config(tmp_path, tmp_path / "part-*.csv", stream=True)
    alone = trained(cli, path, tmp_path / "one")
    argv = [sys.executable, "-m", "dlkit", "train", str(path), "--set", "train.distribute.strategy=multi_worker",
            "--local-workers", "2", "--runs-dir", str(tmp_path / "workers"), "-q"]  # fmt: skip
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    workers = Path(done.stdout.strip().splitlines()[-1])
    figures = [json.loads((run / "metrics.json").read_text())["test"] for run in (alone, workers)]
    assert figures[1] == pytest.approx(figures[0], abs=1e-3)


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("data.split.ordered=true", "data.split.ordered"),
        ("data.cache=true", "data.cache"),
        ("data.options.duplicates=group", "data.options.duplicates"),
        ("data.split.group=colour", "data.split.group"),
    ],
)
def test_what_streaming_cannot_do_is_refused_in_one_line(cli, tmp_path, setting, key):
    table(tmp_path, rows=300)
    refused = cli("train", config(tmp_path, tmp_path / "all.csv", stream=True), "--set", setting,
                  "--runs-dir", tmp_path / "runs")  # fmt: skip
    assert refused.exit_code == 2, refused.output[-3000:]
    line = one_error_line(refused)
    assert line.startswith(f"{key}: ") or line.startswith(f"--set {setting}: {key}: "), line


def test_cv_of_a_streamed_table_is_refused(cli, tmp_path):
    table(tmp_path, rows=300)
    refused = cli("cv", config(tmp_path, tmp_path / "all.csv", stream=True), "--folds", "3")
    assert refused.exit_code == 2, refused.output[-3000:]
    assert one_error_line(refused).startswith("data.split.folds: a streamed table")
