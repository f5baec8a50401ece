"""Shared fixtures: an in-process CLI runner, small configs, and one trained run reused by the
eval/predict tests (training is the slow part; every test here trains 1-2 epochs at most)."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("DLKIT_CACHE_DIR", tempfile.mkdtemp(prefix="dlkit-test-cache-"))  # not the user's

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


def as_interrupted(run_dir: Path, epochs: int = 3) -> Path:
    """Make a finished run look stopped before its last epoch: its config asks for `epochs` and its
    run.json says `interrupted`."""
    import json

    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["train"]["epochs"] = epochs
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    info = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps({**info, "status": "interrupted"}))
    return run_dir


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


def last_state(runs: Path) -> dict | None:
    """The training state in the last checkpoint of the run under `runs` (None: none yet)."""
    from dlkit.training import state as saved_state

    last = next(Path(runs).glob("*/checkpoints/last.keras"), None)
    return saved_state.read(last) if last else None


def signal_training(config: Path, runs: Path, when, signum: int) -> tuple[Path, str]:
    """`dlkit train CONFIG` in a process of its own, sent `signum` once `when(state)` holds for its
    last checkpoint's state; returns its run folder and what it wrote on stderr. SIGINT must end
    it with exit 1 (interrupted, checkpoint saved)."""
    import subprocess
    import sys
    import time

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "dlkit", "train", str(config), "--runs-dir", str(runs), "-q"]
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not ((state := last_state(runs)) and when(state)) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "training ended before the signal"
    proc.send_signal(signum)
    code, stderr = proc.wait(timeout=120), proc.stderr.read()
    if signum == signal.SIGINT:
        assert code == 1, stderr[-2000:]
    return next(p for p in Path(runs).iterdir() if p.is_dir() and not p.is_symlink()), stderr


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


@pytest.fixture(scope="session")
def serve_runs(tmp_path_factory):
    """The runs `dlkit serve` is tested on (tests/test_serve.py's `train_serve_runs`), trained once
    for test_serve.py and test_serve_safety.py."""
    from test_serve import train_serve_runs

    return train_serve_runs(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="session")
def _built_in_registries():
    """Every registry with its built-in entries (all found), and the plug-ins imported so far."""
    from dlkit.core import plugins
    from dlkit.core.registries import REGISTRIES

    for registry in REGISTRIES.values():
        registry.names()
    state = {name: _registry_state(registry) for name, registry in REGISTRIES.items()}
    return state, dict(plugins._loaded)


def _registry_state(registry) -> tuple:
    return tuple(dict(part) if isinstance(part, dict) else set(part) for part in _registry_parts(registry))


def _registry_parts(registry) -> tuple:
    return registry._names, registry._entries, registry._lazy, registry._summaries, registry._aliases


@pytest.fixture(autouse=True)
def _registries_as_built_in(_built_in_registries):
    """A plug-in a test imports registers entries (a `counts` task, a layer) in the process's
    registries; the next test sees the built-in ones only, as a fresh process would, and imports
    its plug-ins again."""
    yield
    from dlkit.core import plugins
    from dlkit.core.registries import REGISTRIES

    state, loaded = _built_in_registries
    for name, registry in REGISTRIES.items():
        if _registry_state(registry) != state[name]:
            for part, saved in zip(_registry_parts(registry), state[name], strict=True):
                part.clear()
                part.update(saved)
            plugins._loaded.clear()
            plugins._loaded.update(loaded)
