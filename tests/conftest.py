"""Shared fixtures: an in-process CLI runner, small configs, and one trained run reused by the
eval/predict tests (training is the slow part; every test here trains 1-2 epochs at most)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from dlkit.cli import app  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

#: A small CNN on the embedded digits, trained in a few seconds.
TINY = {
    "name": "tiny",
    "seed": 7,
    "task": "classification",
    "data": {
        "dataset": "digits",
        "split": {"validation": 0.1, "test": 0.2},
        "preprocess": [{"type": "rescale", "scale": 1 / 255}],
        "batch_size": 64,
    },
    "model": {
        "layers": [
            {"type": "conv2d", "filters": 8, "kernel_size": 3, "activation": "relu"},
            "flatten",
            {"type": "dense", "units": 10, "activation": "softmax"},
        ]
    },
    "train": {"epochs": 2, "optimizer": {"type": "adam", "learning_rate": 0.01}},
}


def write_config(folder: Path, data: dict, name: str = "config.yaml") -> Path:
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def ctrl_c_in_epoch(epoch: int):
    """A callback that presses Ctrl-C (SIGINT to this process) after the first batches of `epoch`
    (counted from 0)."""
    import keras

    class CtrlC(keras.callbacks.Callback):
        armed = False

        def on_epoch_begin(self, e, logs=None):
            self.armed = e == epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.armed:
                self.armed = False
                os.kill(os.getpid(), signal.SIGINT)

    return CtrlC()


@pytest.fixture
def cli():
    """`cli("train", path, ...)` runs the command in-process and returns the result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """One finished tiny run (folder, CLI result), shared by the eval and predict tests."""
    folder = tmp_path_factory.mktemp("trained")
    config = write_config(folder, TINY)
    result = CliRunner().invoke(app, ["train", str(config), "--runs-dir", str(folder / "runs"), "-q"])
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]), result
