"""`model_function` (what serve and the export parity report call) gives `model.predict`'s outputs
on every backend: the quickstart's CNN, a table's columns (blanks filled, standardised) and the
U-Net of unet_shapes, built as training builds them and reloaded from `.keras`. TensorFlow's in
this process, JAX's and PyTorch's each in a process of its own (skipped where not installed)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, TESTS

#: Three models built, compiled twice (predict, model_function) and reloaded per backend: 10-30 CPU
#: seconds each, a JAX or PyTorch process's start-up included.
pytestmark = pytest.mark.slow
#: float32 through two compiled paths of the same graph (XLA's or PyTorch's kernels against Keras's own loop).
TOLERANCE = 1e-5


def _check(found: dict, backend: str) -> None:
    assert found["backend"] == backend
    assert set(found["models"]) == {"quickstart", "tabular_csv", "unet_shapes"}
    for name, by in found["models"].items():
        assert by["built"] <= TOLERANCE and by["reloaded"] <= TOLERANCE, (name, by)


def test_on_tensorflow(tmp_path):
    from helpers.model_function import differences

    _check(differences(tmp_path), "tensorflow")


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"no {name}"))
        for name in ("jax", "torch")
    ],
)
def test_on_another_backend(backend):
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment |= {"PYTHONPATH": f"{REPO}{os.pathsep}{TESTS}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(TESTS / "helpers" / "model_function.py"), backend],
        capture_output=True, text=True, env=environment, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    _check(json.loads(done.stdout.strip().splitlines()[-1]), backend)
