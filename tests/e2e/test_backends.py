"""Training on JAX and PyTorch with TensorFlow installed (dlkit's tf.data pipelines feed Keras on
either): the tiny config trains, scores, evaluates and predicts there with the TensorFlow run's
model; its run folder predicts on its backend from another process, and its model.keras loads on
TensorFlow alike; the shipped mnist_cnn and tabular_csv configs train an epoch; a run stopped inside
an epoch resumes exactly. Keras takes one backend per process and this one runs TensorFlow's, so
the other backends' commands run in processes of their own. Each backend's tests are skipped where
it is not installed."""

from __future__ import annotations

import importlib.util
import json
import signal
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPO, TINY, signal_training, write_config
from helpers.backends import OTHERS, dlkit, folder_of
from helpers.keras_datasets import _mnist

PARAMS = {"mnist_cnn": 693_962, "tabular_csv": 1_537}  # as tests/e2e/test_configs.py has them


@pytest.fixture(scope="module", params=OTHERS)
def other_run(request, tmp_path_factory):
    """The tiny config (as `trained_run` trains it on TensorFlow) trained with --backend jax, torch."""
    folder, backend = tmp_path_factory.mktemp(request.param), request.param
    config = write_config(folder, TINY)
    return backend, folder_of(dlkit("train", config, "--backend", backend, "--runs-dir", folder / "runs", "-q"))


def _figures(run: Path, file: str = "metrics.json") -> dict:
    return json.loads((run / file).read_text())["test"]


def test_a_run_records_its_backend_and_matches_the_tensorflow_run(other_run, trained_run):
    import keras

    backend, run = other_run
    info = json.loads((run / "run.json").read_text())
    assert (info["status"], info["backend"]) == ("completed", backend)
    assert info["versions"][backend]
    assert yaml.safe_load((run / "config.yaml").read_text())["backend"] == backend
    assert json.loads((trained_run[0] / "run.json").read_text())["backend"] == "tensorflow"
    on_other, on_tf = (keras.saving.load_model(folder / "model.keras") for folder in (run, trained_run[0]))
    assert on_other.count_params() == on_tf.count_params()
    # Two epochs of a tiny CNN from another backend's initial weights: the same model, near figures.
    assert abs(_figures(run)["accuracy"] - _figures(trained_run[0])["accuracy"]) < 0.1
    assert _figures(run)["accuracy"] > 0.5
    assert (run / "plots" / "learning_curves.png").is_file() and (run / "checkpoints" / "last.keras").is_file()


def test_a_run_evaluates_and_predicts_on_its_backend_in_another_process(other_run, tmp_path):
    import keras
    from PIL import Image
    from sklearn.datasets import load_digits

    run = other_run[1]
    eval_dir = folder_of(dlkit("eval", run))
    assert _figures(eval_dir) == pytest.approx(_figures(run), abs=1e-6)  # the same model on the same test split

    images = (load_digits().images[:5] * 255 / 16).astype("uint8")
    paths = [tmp_path / f"{i}.png" for i in range(len(images))]
    for image, path in zip(images, paths, strict=True):
        Image.fromarray(image).save(path)
    done = dlkit("predict", *paths, "--run", run, "--json", "--top-k", "10")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["predictions"]
    on_other = np.array([[t["probability"] for t in sorted(row["top_k"], key=lambda t: t["label"])] for row in rows])
    # The same model.keras on this process's TensorFlow: a run folder's file loads on any backend.
    model = keras.saving.load_model(run / "model.keras")
    on_tf = np.asarray(model.predict(images[..., None].astype("float32"), verbose=0))
    np.testing.assert_allclose(on_other, on_tf, atol=1e-5)


@pytest.mark.parametrize("backend", OTHERS)
def test_shipped_configs_train_an_epoch(backend, tmp_path, cli):
    mnist, _ = _mnist(tmp_path, n_train=100, n_test=20)
    table = tmp_path / "breast_cancer.csv"
    assert cli("to-csv", "breast_cancer", table).exit_code == 0
    runs = tmp_path / "runs"
    common = ["--runs-dir", runs, "-q", "--set", "train.epochs=1", "--set", "data.batch_size=16"]
    mnist_cnn = [REPO / "configs/mnist_cnn.yaml", "--set", f"data.options.path={mnist}", *common]
    tabular_csv = [REPO / "configs/tabular_csv.yaml", "--set", f"data.options.path={table}", *common]
    trained = {  # the environment's backend for one, the option's for the other
        "mnist_cnn": dlkit("train", *mnist_cnn, env={"KERAS_BACKEND": backend}),
        "tabular_csv": dlkit("train", *tabular_csv, "--backend", backend),
    }
    import keras

    for name, done in trained.items():
        run = folder_of(done)
        info = json.loads((run / "run.json").read_text())
        assert (info["status"], info["backend"]) == ("completed", backend), name
        assert keras.saving.load_model(run / "model.keras").count_params() == PARAMS[name]
        assert "accuracy" in _figures(run)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax not installed")
def test_string_columns_are_refused_off_tensorflow_before_the_run_folder(tmp_path):
    rows = "\n".join(f"{i / 10},{('paris', 'rome', 'oslo')[i % 3]},{i % 2}" for i in range(60))
    (tmp_path / "cities.csv").write_text(f"a,city,target\n{rows}\n")
    config = {
        "task": "binary",
        "data": {"dataset": "csv", "options": {"path": str(tmp_path / "cities.csv"), "target": "target"}},
        "model": {"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]},
    }
    done = dlkit("train", write_config(tmp_path, config), "--backend", "jax", "--runs-dir", tmp_path / "runs", "-q")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "dlkit: error: data: the model takes city as strings (text or category columns), which only the TensorFlow "
        "backend's tensors hold; the backend is jax: train with --backend tensorflow"
    )
    assert not (tmp_path / "runs").exists()


#: The tiny config with dropout (random masks), early stopping and reduce-lr (callback state), in
#: epochs of 81 batches and a checkpoint every 8: what an exact resume inside an epoch needs.
MID_EPOCH = {
    **TINY,
    "model": {"layers": [TINY["model"]["layers"][0], {"type": "dropout", "rate": 0.3}, *TINY["model"]["layers"][1:]]},
    "data": {**TINY["data"], "batch_size": 16},
    "train": {
        **TINY["train"],
        "epochs": 2,
        "checkpoint_every": 8,
        "steps_per_execution": 1,
        "callbacks": [{"type": "early_stopping", "patience": 2}, {"type": "reduce_lr_on_plateau", "patience": 1}],
    },
}


@pytest.mark.parametrize("backend", OTHERS)
def test_a_run_stopped_inside_an_epoch_resumes_to_the_uninterrupted_run(backend, tmp_path):
    """On PyTorch, unseeded dropout draws from its global generator: the checkpoint keeps its state."""
    from dlkit.training import state as saved_state

    config = write_config(tmp_path, {**MID_EPOCH, "backend": backend})
    alone = folder_of(dlkit("train", config, "--runs-dir", tmp_path / "alone", "-q"))
    inside_epoch_2 = lambda state: state["epochs_done"] == 1 and bool(state.get("step"))  # noqa: E731
    run_dir, _ = signal_training(config, tmp_path / "stopped", inside_epoch_2, signal.SIGINT)
    assert saved_state.read(run_dir / "checkpoints" / "last.keras")["step"], "the Ctrl-C should land inside epoch 2"
    assert folder_of(dlkit("train", "--resume", run_dir, "-q")) == run_dir
    assert json.loads((run_dir / "run.json").read_text())["backend"] == backend
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())
