"""`sequence`: windows over a time series for recurrent and 1-D convolution models."""

import json

import numpy as np
import pytest

from conftest import write_config
from helpers.sequence import series_csv


def test_lstm_regression_on_a_series_and_predict_windows(tmp_path, cli):
    config = {
        "name": "wave",
        "task": "regression",
        "data": {"dataset": "sequence", "split": {"ordered": True, "validation": 0.15, "test": 0.15},
                 "options": {"path": str(series_csv(tmp_path / "s.csv")), "target": "wave", "window": 16},
                 "batch_size": 32},
        "model": {"layers": [{"type": "lstm", "units": 16}, {"type": "dense", "units": 1}]},
        "train": {"epochs": 6, "optimizer": {"type": "adam", "learning_rate": 0.01}},
    }  # fmt: skip
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = (tmp_path / "runs" / "latest").resolve()
    assert json.loads((run_dir / "metrics.json").read_text())["test"]["mae"] < 0.25
    series_csv(tmp_path / "new.csv", 20)
    out = cli("predict", tmp_path / "new.csv", "--run", run_dir, "--json")
    assert out.exit_code == 0, out.stderr
    rows = json.loads(out.stdout)["predictions"]
    assert len(rows) == 5 and rows[0]["input"].endswith("new.csv:2-17")
    assert all(isinstance(r["value"], float) for r in rows)


def test_conv1d_binary_on_a_npy_series(tmp_path, cli):
    np.save(tmp_path / "s.npy", np.sin(np.arange(300) / 6).astype("float32"))
    config = {
        "name": "rises",
        "task": "binary",
        "data": {"dataset": "sequence", "options": {"path": str(tmp_path / "s.npy"), "target": 0, "window": 12,
                                                    "label": "rises"}},
        "model": {"layers": [{"type": "conv1d", "filters": 4, "kernel_size": 3, "activation": "relu"},
                             "global_average_pooling1d", {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "train": {"epochs": 2},
    }  # fmt: skip
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "runs" / "latest" / "run.json").read_text())["input"]["shape"] == [12, 1]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"window": 500}, "too short for window 500"),
        ({"target": "wav"}, "no target column 'wav'; did you mean 'wave'?"),
    ],
)
def test_sequence_problems(tmp_path, cli, options, message):
    config = {
        "name": "bad",
        "task": "regression",
        "data": {"dataset": "sequence", "options": {"path": str(series_csv(tmp_path / "s.csv")), **options}},
        "model": {"layers": [{"type": "lstm", "units": 2}, {"type": "dense", "units": 1}]},
    }
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1 and message in result.stderr
