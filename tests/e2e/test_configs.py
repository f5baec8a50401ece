"""Every shipped config: the exact model of the script it replaces (parameter counts from a dry run,
no data), and one epoch of training on small generated data of the right format, so none rots."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from helpers.keras_datasets import _cifar10, _imdb, _mnist, no_network  # noqa: F401  (the fixture too)
from helpers.multilabel import make_tags_csv
from helpers.recommender import make_ratings
from helpers.regression_targets import yearly_series

CONFIGS = REPO / "configs"

#: Parameters each config's model must have (the issue's figures: those of the usual scripts).
PARAMS = {
    "quickstart": 76_522,
    "quickstart_tune": 76_522,  # the same model; trained as written by dlkit train
    "mnist_mlp": 407_050,
    "mnist_cnn": 693_962,
    "mnist_cnn_deep": 121_930,
    "cifar10_cnn": 122_570,
    "cifar10_resnet": 309_994,
    "imdb_conv1d": 661_601,
    "imdb_bilstm": 2_757_761,  # keras-io's "Bidirectional LSTM on IMDB"
    "lstm_sequence": 11_851,
    "series_regression": 4_385,  # LSTM(32) on one feature + dense(1); scale_target has no weights
    "tabular_csv": 1_537,
    "multilabel_csv": 1_348,
    "transfer_digits": 14_698,  # quickstart's convolutions (9,568, frozen) under dense(10) on their 512 features
    "digits_gan": 104_385,  # generator 54,720 + discriminator 49,665
    "mnist_dcgan": 923_714,  # generator 784,641 + discriminator 139,073 (the Keras DCGAN example's)
    "prune_mnist": 693_962,  # mnist_cnn's model, pruned while training
    "distill_digits": 1_210,  # the student alone (its teacher, the quickstart CNN, is a run)
    "unet_shapes": 117_092,  # benchmarks/unet_plain.py's U-Net
    "recommender": 4_033,  # embeddings of 300 users, 200 items (+ 1 unseen id each) x 8; dense 9 + 8
}


def _series_csv(path: Path, steps=400) -> Path:
    """Eight noisy sine waves; s1 follows a slow wave, so whether it rises is learnable."""
    t = np.arange(steps)
    rng = np.random.default_rng(0)
    columns = {f"s{i}": np.sin(t / (5 + 3 * i)) + 0.1 * rng.normal(size=steps) for i in range(1, 9)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        ",".join(columns) + "\n" + "\n".join(",".join(f"{c[s]:.5f}" for c in columns.values()) for s in t) + "\n"
    )
    return path


def _digits_npz(folder: Path) -> Path:
    """8x8 grayscale digits-like images in the Keras .npz format, 10 classes."""
    rng = np.random.default_rng(0)
    y = np.arange(60) % 10
    x = rng.integers(0, 256, (60, 8, 8, 1), dtype="uint8")
    np.savez(folder / "digits.npz", x_train=x[:40], y_train=y[:40], x_test=x[40:], y_test=y[40:])
    return folder / "digits.npz"


_SOURCE_RUNS: list[Path] = []


def _quickstart_run(cli) -> Path:
    """One quickstart run of an epoch (a backbone for transfer_digits), made once per session, in
    a process of its own as users make it: its layers get Keras's first names (`flatten`, which the
    config cuts at), not those numbered after the models this session built before."""
    if not _SOURCE_RUNS:
        folder = Path(tempfile.mkdtemp(prefix="dlkit-source-"))
        argv = [sys.executable, "-m", "dlkit", "train", str(CONFIGS / "quickstart.yaml"), "--set", "train.epochs=1"]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
        done = subprocess.run([*argv, "--runs-dir", str(folder), "-q"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        _SOURCE_RUNS.append(Path(done.stdout.strip().splitlines()[-1]))
    return _SOURCE_RUNS[0]


def _data(name: str, folder: Path, cli) -> list[str]:
    """`--set` overrides pointing the config at small generated data in its dataset's format."""
    if name.startswith("mnist") or name.endswith("_mnist"):
        path, _ = _mnist(folder, n_train=100, n_test=20)
    elif name.startswith("cifar10"):
        path = _cifar10(folder / "cifar-10-batches-py", per_batch=20)
    elif name.startswith("imdb"):
        path = _imdb(folder)
    elif name == "lstm_sequence":
        path = _series_csv(folder / "series.csv")
    elif name == "series_regression":
        path = yearly_series(folder / "series.csv")
    elif name == "tabular_csv":
        path = folder / "breast_cancer.csv"
        assert cli("to-csv", "breast_cancer", path).exit_code == 0
    elif name == "multilabel_csv":
        path = make_tags_csv(folder)
    elif name == "unet_shapes":
        from dlkit.data.synthetic_shapes import shapes_segmentation

        path = folder / "shapes"
        shapes_segmentation(path, n=30, size=64, seed=0)
    elif name == "recommender":
        path, _ = make_ratings(folder, per_user=20)
    elif name == "transfer_digits":
        return [f"data.options.path={_digits_npz(folder)}", f"model.backbone.run={_quickstart_run(cli)}"]
    else:
        return []
    return [f"data.options.path={path}"]


def test_every_config_is_covered():
    assert {p.stem for p in CONFIGS.glob("*.yaml")} == set(PARAMS)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_config_builds_the_model_of_its_script(name, tmp_path, cli):
    # Only the CSVs' columns (and the multilabel config's labels) need the file; transfer its backbone run.
    needs_data = ("tabular_csv", "multilabel_csv", "recommender", "transfer_digits")
    sets = _data(name, tmp_path, cli) if name in needs_data else []
    result = cli("validate", CONFIGS / f"{name}.yaml", "--dry-run", "--json", *[a for s in sets for a in ("--set", s)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["params"] == PARAMS[name]


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_config_validates_against_data_of_its_format(name, tmp_path, cli):
    """Plain `validate`: the data's files and columns, the layer argument types, the last layer."""
    sets = _data(name, tmp_path, cli)
    result = cli("validate", CONFIGS / f"{name}.yaml", *[a for s in sets for a in ("--set", s)])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_config_trains_an_epoch_on_data_of_its_format(name, tmp_path, cli):
    sets = [*_data(name, tmp_path, cli), "train.epochs=1", "data.batch_size=16"]
    if name == "prune_mnist":  # pruning must end within the epochs
        sets += ["train.prune.start_epoch=0", "train.prune.end_epoch=1"]
    if name.startswith("distill"):  # its teacher: a run of the quickstart config
        quickstart = CONFIGS / "quickstart.yaml"
        teacher = cli("train", quickstart, "--runs-dir", tmp_path / "teacher", "-q", "--set", "train.epochs=1")
        sets.append(f"train.distill.teacher={teacher.stdout.strip().splitlines()[-1]}")
    args = [a for s in sets for a in ("--set", s)]
    result = cli("train", CONFIGS / f"{name}.yaml", "--runs-dir", tmp_path / "runs", "-q", *args)
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"
    assert ("train" if name.endswith("gan") else "test") in json.loads((run_dir / "metrics.json").read_text())
