"""dlkit without TensorFlow, as an install of `dlkit[jax]` alone: each command runs in a process whose
path finder finds no `tensorflow` (tests/helpers/no_tensorflow/sitecustomize.py). The quickstart, an
image folder (streamed, and decoded once with data.cache, to the same figures) and a `.npz` train,
evaluate and predict on JAX, the default backend there (a `.npz` on PyTorch too, where installed),
through Keras PyDatasets; a run stopped inside an epoch resumes exactly; what needs TensorFlow is
refused in one line naming the extra."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, TINY, signal_training, write_config
from helpers.image_folder import folder_config, make_folder
from helpers.keras_datasets import _mnist
from helpers.text import reviews, text_config

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax not installed")

BLOCKER = Path(__file__).resolve().parents[1] / "helpers" / "no_tensorflow"
EXTRA = 'pip install "dlkit[tensorflow]"'


def without_tensorflow(*argv, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`python ARGV` in a process without TensorFlow (this worktree's code), $KERAS_BACKEND unset."""
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment["PYTHONPATH"] = os.pathsep.join([str(BLOCKER), str(REPO)])
    return subprocess.run(
        [sys.executable, *map(str, argv)], capture_output=True, text=True, env=environment, cwd=cwd, timeout=300
    )


def dlkit(*args, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return without_tensorflow("-m", "dlkit", *args, cwd=cwd)


def _folder(done: subprocess.CompletedProcess) -> Path:
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])


def _test(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())["test"]


def _predicted(done: subprocess.CompletedProcess) -> list[str]:
    """The labels `dlkit predict --json` printed."""
    assert done.returncode == 0, done.stderr[-3000:]
    return [str(row["label"]) for row in json.loads(done.stdout)["predictions"]]


def test_the_process_has_no_tensorflow_and_takes_jax():
    code = (
        "import importlib.util, sys; from dlkit.core.backend import default_backend, has_tensorflow, keras; "
        "k = keras(); print(importlib.util.find_spec('tensorflow'), has_tensorflow(), default_backend(), "
        "k.config.backend(), 'tensorflow' in sys.modules)"
    )
    done = without_tensorflow("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "False", "jax", "jax", "False"]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quickstart")
    config = REPO / "configs" / "quickstart.yaml"
    return _folder(dlkit("train", config, "--set", "train.epochs=2", "--runs-dir", folder / "runs", "-q"))


@pytest.mark.slow
def test_the_quickstart_trains_evaluates_and_predicts(quickstart, tmp_path):
    info = json.loads((quickstart / "run.json").read_text())
    assert (info["status"], info["backend"]) == ("completed", "jax")
    assert "tensorflow" not in info["versions"] and info["versions"]["jax"]
    assert _test(quickstart)["accuracy"] > 0.85  # two epochs of the quickstart (0.98 after its 30)
    done = dlkit("eval", quickstart)
    assert done.returncode == 0, done.stderr
    assert _test(quickstart / "eval")["accuracy"] == _test(quickstart)["accuracy"]
    from sklearn.datasets import load_digits

    digits = load_digits()
    paths = [tmp_path / f"{i}.png" for i in range(5)]
    for i, path in enumerate(paths):
        Image.fromarray(np.round(digits.images[i] * 255 / 16).astype("uint8")).save(path)
    labels = _predicted(dlkit("predict", *paths, "--run", quickstart, "--json"))
    assert len(labels) == 5 and sum(label == str(digits.target[i]) for i, label in enumerate(labels)) >= 4


@pytest.mark.slow
def test_a_jax_run_exports_to_onnx_agreeing_with_its_model(quickstart, tmp_path):
    pytest.importorskip("jax2onnx")
    done = dlkit("export", quickstart, "--format", "onnx", "--out", tmp_path / "onnx")
    assert done.returncode == 0, done.stderr[-3000:]
    parity = json.loads((tmp_path / "onnx" / "export.json").read_text())["parity"]
    assert parity["agreement"] == 1.0 and parity["max_abs_diff"] < 1e-4 and parity["passed"]
    refused = dlkit("export", quickstart, "--format", "saved_model", "--out", tmp_path / "sm")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert refused.stderr.startswith("dlkit: error: dlkit export --format saved_model: ") and EXTRA in refused.stderr


def test_doctor_says_tensorflow_is_optional_and_passes(tmp_path):
    done = dlkit("doctor", "--runs-dir", tmp_path / "runs")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "not installed; optional" in " ".join(done.stdout.split()) and EXTRA in " ".join(done.stdout.split())
    assert "on jax" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.slow
def test_an_image_folder_trains_streamed_or_cached_to_the_same_figures_and_predicts(tmp_path):
    images = make_folder(tmp_path / "images", per_class=8)
    config = write_config(tmp_path, folder_config(images))
    streamed = _folder(dlkit("train", config, "--runs-dir", tmp_path / "streamed", "-q"))
    cached = _folder(dlkit("train", config, "--set", "data.cache=true", "--runs-dir", tmp_path / "cached", "-q"))
    assert json.loads((streamed / "metrics.json").read_text()) == json.loads((cached / "metrics.json").read_text())
    assert (streamed / "history.csv").read_text() == (cached / "history.csv").read_text()
    labels = _predicted(dlkit("predict", images / "red", "--run", streamed, "--json"))
    assert len(labels) == 8 and labels.count("red") >= 6


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    ["jax", pytest.param("torch", marks=pytest.mark.skipif(not importlib.util.find_spec("torch"), reason="no torch"))],
)
def test_an_npz_trains_and_predicts(tmp_path, backend):
    path, arrays = _mnist(tmp_path, n_train=60, n_test=20)
    data = {**TINY["data"], "dataset": "npz", "options": {"path": str(path)}, "split": {"validation": 0.2}}
    config = write_config(tmp_path, {**TINY, "data": data})
    run = _folder(dlkit("train", config, "--backend", backend, "--runs-dir", tmp_path / "runs", "-q"))
    assert json.loads((run / "run.json").read_text())["backend"] == backend and "accuracy" in _test(run)
    Image.fromarray(arrays["x_test"][0]).save(tmp_path / "0.png")
    assert len(_predicted(dlkit("predict", tmp_path / "0.png", "--run", run, "--json"))) == 1


def _one_line_refusal(done: subprocess.CompletedProcess, key: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dlkit: error: {key}: needs TensorFlow") and EXTRA in lines[0]


def test_a_text_config_is_refused_in_one_line_naming_the_extra(tmp_path):
    texts, labels = reviews(20)
    rows = "".join(f"{t},{y}\n" for t, y in zip(texts, labels, strict=True))
    (tmp_path / "reviews.csv").write_text("text,label\n" + rows)
    config = write_config(tmp_path, text_config("text_csv", {"path": str(tmp_path / "reviews.csv")}))
    _one_line_refusal(dlkit("train", config, "--runs-dir", tmp_path / "runs"), "data.dataset")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(
    "key, changes",
    [
        ("train.distribute", {"train": {**TINY["train"], "distribute": {"strategy": "mirrored"}}}),
        ("train.callbacks.0", {"train": {**TINY["train"], "callbacks": ["tensorboard"]}}),
    ],
)
def test_a_tensorflow_feature_is_refused_in_one_line_naming_the_extra(tmp_path, key, changes):
    config = write_config(tmp_path, {**TINY, **changes})
    _one_line_refusal(dlkit("validate", config), key)


def test_category_columns_are_refused_in_one_line_naming_the_extra(tmp_path):
    rows = "".join(f"{i % 7},{['a', 'b', 'c'][i % 3]},{i % 2}\n" for i in range(40))
    (tmp_path / "t.csv").write_text("x,city,target\n" + rows)
    data = {"dataset": "csv", "options": {"path": str(tmp_path / "t.csv"), "target": "target"}, "batch_size": 8}
    model = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
    config = write_config(tmp_path, {**TINY, "data": data, "model": model})
    done = dlkit("train", config, "--runs-dir", tmp_path / "runs")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "dlkit: error: data: the model takes city as strings (category columns), which only TensorFlow's tensors "
        f"hold, and TensorFlow is not installed here: {EXTRA}"
    ]


@pytest.mark.slow
def test_a_run_stopped_inside_an_epoch_resumes_to_the_uninterrupted_run(tmp_path):
    """The shuffle of a PyDataset is keyed by the seed and the epoch: the rest of the epoch is the
    rest of the uninterrupted run's."""
    from dlkit.training import state as saved_state

    config = {**TINY, "data": {**TINY["data"], "batch_size": 16}}
    config["train"] = {**TINY["train"], "epochs": 2, "checkpoint_every": 8, "steps_per_execution": 1}
    path = write_config(tmp_path, config)
    alone = _folder(dlkit("train", path, "--runs-dir", tmp_path / "alone", "-q"))
    inside_epoch_2 = lambda state: state["epochs_done"] == 1 and bool(state.get("step"))  # noqa: E731
    blocked = {"PYTHONPATH": os.pathsep.join([str(BLOCKER), str(REPO)]), "KERAS_BACKEND": "jax"}
    stopped, _ = signal_training(path, tmp_path / "stopped", inside_epoch_2, signal.SIGINT, env=blocked)
    assert saved_state.read(stopped / "checkpoints" / "last.keras")["step"], "the Ctrl-C should land inside epoch 2"
    assert _folder(dlkit("train", "--resume", stopped, "-q")) == stopped
    assert (stopped / "history.csv").read_text() == (alone / "history.csv").read_text()
    assert json.loads((stopped / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())
    assert "tensorflow" not in json.loads((stopped / "run.json").read_text())["versions"]
