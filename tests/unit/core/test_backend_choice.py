"""Choosing the Keras backend (`backend:`, `--backend`, $KERAS_BACKEND): which wins, and the one-line
refusals (no such backend, not installed, a second backend in one process, a key that runs on
TensorFlow only). Keras takes its backend once per process, so the choices run in fresh processes
that import no Keras (validate's), and the refusal of a second backend runs here, where Keras runs
on TensorFlow."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dlkit.core.errors import ConfigError, UsageError

REPO = Path(__file__).resolve().parents[3]

#: Runs dlkit's command line with `importlib.util.find_spec` finding no `torch` and no `jax`: as on a
#: machine without them, whatever this one has.
WITHOUT = (
    "import importlib.util, sys; real = importlib.util.find_spec; "
    "importlib.util.find_spec = lambda name, *a: None if name in ('torch', 'jax') else real(name, *a); "
    "from dlkit.cli import main; sys.argv = ['dlkit', *sys.argv[1:]]; main()"
)


def _python(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"} | (env or {})
    environment["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, env=environment, timeout=120
    )


def _chosen(config: Path, *args: str, env: dict | None = None) -> str:
    """The backend `load_config` chooses for `config` in a fresh process (Keras not imported)."""
    code = (
        "import sys; from dlkit.config import load_config; from dlkit.core import backend; "
        "load_config(sys.argv[1], sys.argv[2:]); assert 'keras' not in sys.modules; print(backend.chosen_backend())"
    )
    done = _python(code, str(config), *args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _config(folder: Path, **top) -> Path:
    data = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text()) | top
    folder.mkdir(exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_key_then_keras_backend_then_tensorflow_choose(tmp_path):
    plain, keyed = _config(tmp_path / "plain"), _config(tmp_path / "keyed", backend="jax")
    assert _chosen(plain) == "tensorflow"
    assert _chosen(plain, env={"KERAS_BACKEND": "jax"}) == "jax"
    assert _chosen(keyed) == "jax"
    assert _chosen(keyed, env={"KERAS_BACKEND": "tensorflow"}) == "jax"  # the config's word over the environment's
    assert _chosen(keyed, "backend=tensorflow") == "tensorflow"  # --set (and --backend) over the file


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return _python(WITHOUT, *args, env=env)


def test_an_unknown_backend_is_one_line_naming_where(tmp_path):
    config = _config(tmp_path, backend="jx")
    line = config.read_text().splitlines().index("backend: jx") + 1
    done = _cli("validate", str(config))
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f"dlkit: error: {config}:{line}: backend: 'jx' is no backend dlkit runs on; one of tensorflow, jax, torch",
    )
    done = _cli("validate", "configs/quickstart.yaml", env={"KERAS_BACKEND": "numpy"})
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "dlkit: error: KERAS_BACKEND: 'numpy' is no backend dlkit runs on; one of tensorflow, jax, torch",
    )


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_backend_not_installed_names_the_extra(backend):
    done = _cli("validate", "configs/quickstart.yaml", "--backend", backend)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f'dlkit: error: --backend: {backend} is not installed here; pip install "dlkit[{backend}]"',
    )


def test_a_run_folder_names_the_backend_it_trained_on_when_missing(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"status": "completed", "backend": "torch", "input": {"kind": "image"}}))
    (run / "config.yaml").write_text((REPO / "configs" / "quickstart.yaml").read_text())
    done = _cli("eval", str(run))
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f'dlkit: error: {run / "run.json"}: backend: torch is not installed here; pip install "dlkit[torch]"',
    )


@pytest.mark.parametrize(
    ("config", "sets", "refused"),
    [
        ("quickstart", ["train.distribute.strategy=mirrored"], "train.distribute: runs on the TensorFlow backend only"),
        ("digits_gan", [], "task: runs on the TensorFlow backend only (task gan's train step takes its gradients"),
    ],
)
def test_what_runs_on_tensorflow_only_is_refused_on_another_backend_before_any_work(config, sets, refused):
    pytest.importorskip("jax")
    args = [a for s in sets for a in ("--set", s)]
    code = "import sys; from dlkit.cli import main; sys.argv = ['dlkit', *sys.argv[1:]]; main()"
    done = _python(code, "validate", f"configs/{config}.yaml", *args, "--backend", "jax")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"dlkit: error: {refused}")
    assert "remove it, or train with --backend tensorflow" in done.stderr
    on_tensorflow = _python(code, "validate", f"configs/{config}.yaml", *args, "--backend", "tensorflow")
    assert on_tensorflow.returncode == 0, on_tensorflow.stderr


def test_a_second_backend_in_a_process_running_keras_is_refused():
    from dlkit.core.backend import choose_backend, keras

    running = keras().config.backend()
    other = "jax" if running != "jax" else "tensorflow"
    assert choose_backend(running) == running
    with pytest.raises(UsageError, match=rf"^--backend: {other} asked for, but this process already runs Keras on "):
        choose_backend(other, "--backend")
    with pytest.raises(ConfigError, match="is no backend dlkit runs on"):
        choose_backend("theano")


def test_runs_older_than_the_choice_trained_on_tensorflow(tmp_path):
    from dlkit.core.runs import run_backend

    (tmp_path / "run.json").write_text(json.dumps({"status": "completed", "input": {"kind": "image"}}))
    assert run_backend(tmp_path) == "tensorflow"
    (tmp_path / "run.json").write_text(json.dumps({"status": "completed", "input": {"kind": "x"}, "backend": "jax"}))
    assert run_backend(tmp_path) == "jax"


def test_keras_start_up_imports_no_other_backend():
    """TensorFlow Lite's start-up imports JAX where it is installed; dlkit defers the backends not in use."""
    if importlib.util.find_spec("jax") is None and importlib.util.find_spec("torch") is None:
        pytest.skip("neither jax nor torch is installed")
    code = (
        "import sys; from dlkit.core.backend import choose_backend, defer_optional_imports, keras; "
        "defer_optional_imports(); choose_backend('tensorflow'); keras(); "
        "print(sorted({'jax', 'torch'} & set(sys.modules)))"
    )
    done = _python(code)
    assert done.stdout.strip() == "[]", done.stderr
