"""`dlkit export --format onnx` of runs trained on JAX and PyTorch: the run loads on its own
backend, Keras's own ONNX export writes the file, and the parity report runs it in onnxruntime
against the model on that backend. The shipped quickstart (max pooling, which jax2onnx writes in a
form onnxruntime refuses until dlkit rewrites it), tabular_csv (blanks filled and standardised
inside the model) and unet_shapes configs, an epoch each; a SavedModel of the run is converted on
TensorFlow. Each backend is skipped where it is not installed."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from conftest import REPO, write_config
from helpers.backends import OTHERS, dlkit, folder_of

pytestmark = pytest.mark.slow

#: An epoch of each, small batches: what the export needs is a trained model of each kind.
SETTINGS = ["--set", "train.epochs=1", "-q"]


def _configs(folder) -> dict[str, list]:
    """{name: the arguments of `dlkit train`} for the quickstart, tabular_csv and unet_shapes."""
    table, shapes = folder / "breast_cancer.csv", folder / "shapes"
    assert dlkit("to-csv", "breast_cancer", table).returncode == 0
    assert dlkit("make-data", "shapes-segmentation", shapes, "--n", "30", "--size", "32").returncode == 0
    unet = yaml.safe_load((REPO / "configs" / "unet_shapes.yaml").read_text())
    unet["data"]["options"] |= {"path": str(shapes), "image_size": [32, 32], "augment": None}
    return {
        "quickstart": [REPO / "configs" / "quickstart.yaml"],
        "tabular_csv": [REPO / "configs" / "tabular_csv.yaml", "--set", f"data.options.path={table}"],
        "unet_shapes": [write_config(folder, unet, "unet.yaml"), "--set", "data.batch_size=8"],
    }


@pytest.fixture(scope="module", params=OTHERS)
def runs(request, tmp_path_factory):
    """(backend, {name: run folder}) trained on JAX, PyTorch."""
    backend, folder = request.param, tmp_path_factory.mktemp(f"export-{request.param}")
    trained = {}
    for name, args in _configs(folder).items():
        trained[name] = folder_of(dlkit("train", *args, "--backend", backend, "--runs-dir", folder / "runs", *SETTINGS))
    return backend, trained


@pytest.mark.parametrize("name", ["quickstart", "tabular_csv", "unet_shapes"])
def test_onnx_from_the_runs_backend_matches_model_keras(runs, name):
    backend, run = runs[0], runs[1][name]
    assert json.loads((run / "run.json").read_text())["backend"] == backend
    folder = folder_of(dlkit("export", run, "--format", "onnx"))
    assert folder == run / "export" / "onnx"
    report = json.loads((folder / "export.json").read_text())
    assert report["versions"][backend]  # exported on the run's backend
    parity = report["parity"]
    assert parity["runtime"].startswith("onnxruntime") and parity["passed"]
    assert parity["examples"] > 5 and parity["max_abs_diff"] < 1e-4
    assert parity["metrics"]["export"] == pytest.approx(parity["metrics"]["model.keras"], rel=1e-4, abs=1e-5)
    if name != "tabular_csv":
        assert parity["agreement"] > 0.999  # a class per pixel of the U-Net: a tie may fall either way


def test_the_onnx_file_takes_raw_inputs_in_onnxruntime(runs):
    """Loaded with onnxruntime's own API: raw 0-255 pixels of a batch of any size in, the Keras model's outputs out."""
    import keras
    import onnxruntime
    from sklearn.datasets import load_digits

    run = runs[1]["quickstart"]
    if not (run / "export" / "onnx" / "model.onnx").is_file():
        folder_of(dlkit("export", run, "--format", "onnx"))
    pixels = (load_digits().images[:13] * 255 / 16).round().astype("float32")[..., None]
    expected = keras.saving.load_model(run / "model.keras").predict(pixels, verbose=0)
    session = onnxruntime.InferenceSession(str(run / "export" / "onnx" / "model.onnx"))
    outputs = session.run(None, {session.get_inputs()[0].name: pixels})[0]
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_a_saved_model_of_the_run_is_converted_on_tensorflow(runs):
    backend, run = runs[0], runs[1]["quickstart"]
    if backend != "jax":
        pytest.skip("one backend shows it: the formats of TensorFlow load any run there (JAX's: CI has JAX)")
    folder = folder_of(dlkit("export", run, "--format", "saved_model"))
    report = json.loads((folder / "export.json").read_text())
    assert report["parity"]["passed"] and report["parity"]["max_abs_diff"] < 1e-4
    assert backend not in report["versions"]  # TensorFlow's Keras converted it
