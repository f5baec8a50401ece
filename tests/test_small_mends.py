"""Small things a new user hit (issue 27's list), each mended: the metrics a task offers, `--set`
without `=`, the startup time of a process a shell exec'd, a copied run folder whose data is
elsewhere, PGD's step size in the attack header, the three forms of `dlkit.register_*`, and
loading a table run's model.keras in plain Keras as the README says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write_config


def _iris_csv(folder: Path) -> Path:
    from sklearn.datasets import load_iris

    path = folder / "iris.csv"
    load_iris(as_frame=True).frame.to_csv(path, index=False)
    return path


TABLE = {
    "name": "iris",
    "seed": 3,
    "data": {"dataset": "csv", "options": {"path": "iris.csv", "target": "target"}, "batch_size": 16},
    "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}]},
    "train": {"epochs": 1, "loss": {"type": "sparse_categorical_crossentropy", "from_logits": True}},
}


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """A finished table run trained from a data file named relative to where it was trained."""
    from typer.testing import CliRunner

    from dlkit.cli import app

    folder = tmp_path_factory.mktemp("table")
    _iris_csv(folder)
    config = write_config(folder, TABLE)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, ["train", str(config), "--runs-dir", str(folder / "runs"), "-q"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_classification_offers_no_mask_metrics_and_regression_trains_on_r2(tmp_path, cli):
    wrong = {**TABLE, "train": {**TABLE["train"], "metrics": ["mae"]}}
    _iris_csv(tmp_path)
    result = cli("validate", write_config(tmp_path, wrong))
    assert result.exit_code == 2
    offered = result.stderr.split("metrics for task 'classification':")[1]
    assert "accuracy" in offered and "dice" not in offered and "mean_iou" not in offered

    regression = {
        "name": "r2",
        "task": "regression",
        "data": {"dataset": "diabetes", "batch_size": 64},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"epochs": 1, "metrics": ["mae", "r2"], "checkpoint": {"monitor": "val_r2"}},
    }
    result = cli("train", write_config(tmp_path, regression), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert "val_r2" in (run_dir / "history.csv").read_text().splitlines()[0]
    assert json.loads((run_dir / "run.json").read_text())["best"].keys() == {"val_r2"}


def test_segmentation_still_takes_its_mask_metrics():
    from dlkit.core.registries import METRICS, TASKS

    segmentation, classification = TASKS.get("segmentation"), TASKS.get("classification")
    assert segmentation.takes_metric(METRICS.get("dice"), "softmax")
    assert not classification.takes_metric(METRICS.get("dice"), "softmax")


def test_set_without_equals_names_the_form_that_works(tmp_path, cli):
    _iris_csv(tmp_path)
    result = cli("validate", write_config(tmp_path, TABLE), "--set", "train.epochs", "3")
    assert result.exit_code == 2
    assert "train.epochs: expected KEY=VALUE, e.g. --set train.epochs=3" in result.stderr
    assert "unexpected extra argument" not in result.stderr


def test_startup_does_not_count_what_the_shell_ran_before_it_execd_python():
    """`bash -c "pip install ... && dlkit train ..."` execs dlkit in the shell's process: the
    install is not dlkit's start-up."""
    busy = f"{sys.executable} -c 'import time; t = time.time()\nwhile time.time() - t < 1.0: pass'"
    startup = "from dlkit.core.timings import Timings; print(Timings().seconds['startup'])"
    shell = f'{busy}; exec {sys.executable} -c "{startup}"'
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=REPO, check=True)
    assert float(done.stdout) < 0.5, done.stdout


def test_a_copied_run_whose_data_is_elsewhere_says_how_to_point_at_it(table_run, tmp_path, cli, monkeypatch):
    copy = tmp_path / "colleague" / table_run.name
    shutil.copytree(table_run, copy)
    monkeypatch.chdir(tmp_path)  # iris.csv is not here
    result = cli("eval", copy)
    assert result.exit_code == 1
    assert "data.options.path: no such file: iris.csv" in result.stderr
    assert "--set data.options.path=PATH" in result.stderr
    data = table_run.parent.parent / "iris.csv"
    assert cli("eval", copy, "--set", f"data.options.path={data}").exit_code == 0


def test_pgd_header_says_its_step_is_a_fraction_of_eps():
    from dlkit.core.registries import ATTACKS

    assert ATTACKS.get("pgd")(steps=20).header() == "steps 20, step_size 0.125 x eps, random_start True"
    assert ATTACKS.get("fgsm")().header() == ""


def test_register_takes_the_three_forms_and_names_the_right_one_otherwise():
    import keras

    import dlkit
    from dlkit.core.registries import LAYERS

    class CalledLayer(keras.layers.Layer):
        pass

    class BareDecorated(keras.layers.Layer):
        pass

    dlkit.register_layer(CalledLayer)
    dlkit.register_layer(BareDecorated)  # what `@dlkit.register_layer` without () does
    dlkit.register_layer("named_layer_of_test")(type("Named", (keras.layers.Layer,), {}))
    assert {"called_layer", "bare_decorated", "named_layer_of_test"} <= set(LAYERS.names())
    with pytest.raises(TypeError, match=r"write @dlkit.register_layer\(\) above the class"):
        dlkit.register_layer(3)
    with pytest.raises(TypeError, match="registers a class"):
        dlkit.register_metric()(len)


def test_plain_keras_loads_a_table_run_as_the_readme_says(table_run):
    readme = (REPO / "README.md").read_text()
    assert "import dlkit.layers.custom" in readme
    code = (
        "import keras, dlkit.layers.custom, sys\n"
        f"model = keras.saving.load_model({str(table_run / 'model.keras')!r})\n"
        "print(len(model.inputs))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "4"
