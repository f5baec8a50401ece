"""dlkit's own preprocessing layers give on JAX and PyTorch what they give on TensorFlow (they
call TensorFlow's ops there, Keras's elsewhere). The other backends run in processes of their own:
a process holds one Keras backend."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]

#: The layers' outputs on random pixels (and blanks for FillMissing), written to the file named in argv.
OUTPUTS = """
import sys
import numpy as np
from dlkit.core.backend import choose_backend, keras
choose_backend(sys.argv[1]); k = keras()
from dlkit.layers.custom import FillMissing, ToGrayscale, ToRgb
x = np.random.default_rng(0).uniform(0, 255, (4, 5, 5, 3)).astype("float32")
table = np.array([[1.0], [np.nan], [3.0]], dtype="float32")
def run(layer, values):  # inside the backend's compiled predict, as in training
    model = k.Sequential([k.Input(values.shape[1:]), layer])
    return np.asarray(model.predict(values, verbose=0))
gray = run(ToGrayscale(), x)
np.savez(sys.argv[2], gray=gray, rgb=run(ToRgb(), gray), filled=run(FillMissing(2.5), table))
"""


def _outputs(backend: str, folder: Path) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("KERAS_BACKEND", None)
    path = folder / f"{backend}.npz"
    argv = [sys.executable, "-c", OUTPUTS, backend, str(path)]
    done = subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(np.load(path))


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_preprocessing_layers_agree_with_tensorflow(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} not installed")
    on_tf, on_other = _outputs("tensorflow", tmp_path), _outputs(backend, tmp_path)
    np.testing.assert_allclose(on_other["gray"], on_tf["gray"], atol=1e-4)  # 0-255 values: float32 rounding
    np.testing.assert_array_equal(on_other["rgb"][..., 0], on_other["gray"][..., 0])
    np.testing.assert_allclose(on_other["rgb"], on_tf["rgb"], atol=1e-4)
    np.testing.assert_array_equal(on_other["filled"], on_tf["filled"])
    np.testing.assert_array_equal(on_tf["filled"], [[1.0], [2.5], [3.0]])
