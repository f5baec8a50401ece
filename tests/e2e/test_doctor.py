"""`dlkit doctor`: a table of what the installation has, a smoke fit, and exit 1 with what to fix."""

from __future__ import annotations

import importlib.util
from importlib import metadata


def _row(stdout: str, name: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith(f"│ {name} "))


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def test_a_sound_installation_passes_and_lists_the_cached_datasets(cli, tmp_path, monkeypatch):
    import tensorflow as tf

    cache = tmp_path / "keras"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "mnist.npz").write_bytes(b"")
    monkeypatch.setenv("KERAS_HOME", str(cache))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)  # set by earlier tests' Keras in this process
    result = cli("doctor", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    for name in ("dlkit", "Python", "extras", "TensorFlow", "Keras", "CPU features", "backend", "GPUs"):
        assert " ok " in _row(result.stdout, name)
    assert f"tensorflow {tf.__version__} (the default, the first installed;" in _row(result.stdout, "backend")
    assert "CPU:0" in _row(result.stdout, "devices: tensorflow")
    for backend in ("jax", "torch"):  # each asked in a process of its own
        row = _row(result.stdout, f"devices: {backend}")
        assert " ok " in row
        assert metadata.version(backend) in row if _installed(backend) else "not installed" in row
    assert "mnist" in _row(result.stdout, "cached datasets")
    assert "cifar10" not in _row(result.stdout, "cached datasets")
    assert "writable" in _row(result.stdout, "runs folder")
    assert not (tmp_path / "runs").exists()  # checked, not made
    fit = _row(result.stdout, "smoke fit")
    assert " ok " in fit and "loss" in fit and "->" in fit


def test_an_unwritable_runs_folder_and_a_keras_home_that_is_a_file_fail_with_what_to_fix(cli, tmp_path, monkeypatch):
    """Permission bits mean nothing to root (CI), so a file stands where each folder should be."""
    (tmp_path / "runs").write_text("")
    (tmp_path / "keras").write_text("")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    result = cli("doctor", "--runs-dir", tmp_path / "runs" / "sub")
    assert result.exit_code == 1
    assert " FAIL " in _row(result.stdout, "runs folder")
    assert " FAIL " in _row(result.stdout, "Keras cache")
    assert " ok " in _row(result.stdout, "smoke fit")
    assert result.stderr.splitlines() == [
        f"dlkit: error: Keras cache: KERAS_HOME={tmp_path / 'keras'} is a file; fix: point KERAS_HOME at a folder "
        "(or unset it)",
        f"dlkit: error: runs folder: {tmp_path / 'runs' / 'sub'}: {tmp_path / 'runs'} is a file, not a folder; "
        "fix: make it a writable folder, or give --runs-dir DIR",
    ]


def test_a_keras_backend_that_is_no_backend_fails_before_keras_is_asked(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    result = cli("doctor", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1
    assert " FAIL " in _row(result.stdout, "backend")
    assert "│ smoke fit " not in result.stdout and "│ TensorFlow " not in result.stdout
    assert result.stderr.splitlines() == [
        "dlkit: error: backend: 'theano' (from KERAS_BACKEND) is no backend dlkit runs on; fix: set KERAS_BACKEND "
        "to one of tensorflow, jax, torch, or unset it (docs/backends.md)"
    ]
