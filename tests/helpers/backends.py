"""Commands on JAX and PyTorch from a test process that runs Keras on TensorFlow: Keras takes one
backend per process, so each command runs in a process of its own."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: The backends besides TensorFlow, each skipped where it is not installed.
OTHERS = [
    pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"{name} not installed"))
    for name in ("jax", "torch")
]


def dlkit(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m dlkit ARGS` in a process of its own (this worktree's code), $KERAS_BACKEND unset."""
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment |= {"PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dlkit", *map(str, args)], capture_output=True, text=True, env=environment, timeout=300
    )


def folder_of(done: subprocess.CompletedProcess) -> Path:
    """The folder a command printed last (a run, an export), once it succeeded."""
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])
