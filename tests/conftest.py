"""Shared fixtures: an in-process CLI runner, small configs, and one trained run reused by the
eval/predict tests (training is the slow part; every test here trains 1-2 epochs at most).

Marks as `slow` what trains: every test under tests/e2e/, and any test that uses a trained run or
calls `cli("train" | "tune" | "cv", ...)`; `pytest -m "not slow"` is the fast loop. tests/unit/ holds
tests that train nothing: one there that these rules mark is a collection error naming it."""

from __future__ import annotations

import functools
import inspect
import os
import re
import signal
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("DLKIT_CACHE_DIR", tempfile.mkdtemp(prefix="dlkit-test-cache-"))  # not the user's

from dlkit.cli import app  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

#: The fixtures that train a run; a test that uses one (itself or through another fixture) is slow.
TRAINED_RUNS = frozenset(
    {"trained_run", "serve_runs", "table_run", "regression_run", "text_run", "shapes_run", "gan_run"}
)
#: The commands that train.
TRAINING = ("train", "tune", "cv")
_CALLS_TRAINING = re.compile(r"""\bcli\(\s*["'](train|tune|cv)["']""")

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


def signal_training(config: Path, runs: Path, when, signum: int, env: dict | None = None) -> tuple[Path, str]:
    """`dlkit train CONFIG` in a process of its own (`env` added to its environment), sent `signum`
    once `when(state)` holds for its last checkpoint's state; returns its run folder and what it
    wrote on stderr. SIGINT must end it with exit 1 (interrupted, checkpoint saved)."""
    import subprocess
    import sys
    import time

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO), **(env or {})}
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


@functools.cache
def _source(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def trains(item) -> str | None:
    """Why the test `item` trains (a phrase), or None."""
    if TESTS / "e2e" in item.path.parents:
        return "it is under tests/e2e"
    used = sorted(TRAINED_RUNS & set(item.fixturenames))
    if used:
        return f"it uses {', '.join(used)}"
    command = getattr(item, "callspec", None) and item.callspec.params.get("command")
    if command in TRAINING:
        return f"it runs `dlkit {command}`"
    called = _CALLS_TRAINING.search(_source(getattr(item, "function", None)))
    return f"it calls {called.group(0)}...)" if called else None


def pytest_collection_modifyitems(config, items):
    misplaced = []
    for item in items:
        why = trains(item)
        if why:
            item.add_marker(pytest.mark.slow)
            if TESTS / "unit" in item.path.parents:
                misplaced.append(f"{item.nodeid}: {why}")
    if misplaced:
        raise pytest.UsageError(
            "tests/unit holds tests that train nothing; move these to tests/e2e:\n" + "\n".join(misplaced)
        )


@pytest.fixture(autouse=True)
def _plugins_leave_with_their_unit_test(request):
    """A plug-in stays registered in the process that loaded it: after a unit test, the entries of
    every plug-in loaded so far are taken out of dlkit's registries (and the plug-in forgotten), so
    a unit test sees the built-in names whatever ran before it, as in a process of its own."""
    yield
    plugins = sys.modules.get("dlkit.core.plugins")
    if TESTS / "unit" not in request.path.parents or plugins is None or not plugins._loaded:
        return
    from dlkit.core.registries import REGISTRIES

    for registry in REGISTRIES.values():
        for name, entry in list(registry._entries.items()):
            if getattr(entry, "__module__", "").startswith("dlkit_plugins."):
                del registry._entries[name], registry._summaries[name], registry._aliases[name]
                for key in [key for key, value in registry._names.items() if value == name]:
                    del registry._names[key]
    plugins._loaded.clear()
    for module in [name for name in sys.modules if name.startswith("dlkit_plugins.")]:
        del sys.modules[module]


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
    """The runs `dlkit serve` is tested on (helpers/serve.py's `train_serve_runs`), trained once
    for e2e/test_serve.py and e2e/test_serve_safety.py."""
    from helpers.serve import train_serve_runs

    return train_serve_runs(tmp_path_factory.mktemp("serve"))


# The session's shared runs, one per task, each trained once (helpers/runs.py says how) and read by
# the eval, predict, export, serve and attack tests; a test that writes into one copies it first
# (`helpers.runs.copy_run`).


@pytest.fixture(scope="session")
def table_run(tmp_path_factory):
    """A classification table: 500 rows with blanks, a city and a shop id as categories."""
    from helpers import runs

    return runs.table_run(tmp_path_factory.mktemp("table"))


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory):
    """A regression table: the numbers of the same table, blanks in them."""
    from helpers import runs

    return runs.regression_run(tmp_path_factory.mktemp("regression"))


@pytest.fixture(scope="session")
def text_run(tmp_path_factory):
    """A text classification of reviews in a CSV (id, review, sentiment)."""
    from helpers import runs

    return runs.text_run(tmp_path_factory.mktemp("text"))


@pytest.fixture(scope="session")
def shapes_run(tmp_path_factory):
    """A segmentation run on `dlkit make-data shapes-segmentation`: {"data": its folder, "run": the run}."""
    from helpers import runs

    return runs.shapes_run(tmp_path_factory.mktemp("shapes"))


@pytest.fixture(scope="session")
def gan_run(tmp_path_factory):
    """A tiny GAN on the embedded digits, 2 epochs."""
    from helpers import runs

    return runs.gan_run(tmp_path_factory.mktemp("gan"))


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
