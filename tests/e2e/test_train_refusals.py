"""`dlkit train` refuses a config that cannot work as `dlkit validate` does: one line, exit 2, and
no run folder (a key missing from the file that must give it, a `--set` typo, a model too large for
the memory, a missing target column, labels of another task)."""

import time

import pytest

from conftest import TINY, write_config
from helpers.config import tiny
from helpers.hostile_config import refusal
from helpers.validate_data import iris_config, iris_csv
from helpers.validate_task import penguins, ratings


def test_config_error_creates_no_run_folder(tmp_path, cli):
    path = write_config(tmp_path, tiny(model__layers__0__filtres=3))
    result = cli("train", path, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2 and "did you mean 'filters'?" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("base_writes_data", [True, False])
@pytest.mark.parametrize("command", ["validate", "train"])
def test_a_missing_key_is_reported_at_the_file_that_must_get_it(tmp_path, cli, command, base_writes_data):
    """The base lacks `data.dataset` (or all of `data:`); the child (the file given) must add it: at
    its own `data:` line when it writes that section, else at the file, never at the base's line."""
    base = {k: v for k, v in tiny().items() if k != "data"}
    if base_writes_data:
        base["data"] = {"batch_size": 8}
    write_config(tmp_path, base, "base.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\n")
    result = cli(command, child, "--runs-dir", tmp_path / "runs") if command == "train" else cli(command, child)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    missing = "data.dataset" if base_writes_data else "data"
    assert result.stderr == f"dlkit: error: {child}: {missing}: required key is missing\n"
    child.write_text("extends: base.yaml\nname: child\ndata:\n  batch_size: 4\n")
    result = cli(command, child, "--runs-dir", tmp_path / "runs") if command == "train" else cli(command, child)
    assert result.exit_code == 2
    assert result.stderr == f"dlkit: error: {child}:3: data.dataset: required key is missing\n"
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", ["validate", "train"])
def test_a_set_typo_is_reported_as_the_set(tmp_path, cli, command):
    path = write_config(tmp_path, TINY)
    extra = ["--runs-dir", tmp_path / "runs"] if command == "train" else []
    result = cli(command, path, "--set", "trian.epochs=5", *extra)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr == "dlkit: error: --set trian.epochs=5: trian: unknown key; did you mean 'train'?\n"
    result = cli(command, path, "--set", "model.layers.0.filtres=5", *extra)
    assert result.stderr == (
        "dlkit: error: --set model.layers.0.filtres=5: model.layers.0.filtres: unknown key; did you mean 'filters'?\n"
    )


def _huge_dense(tmp_path):
    data = {
        **TINY,
        "model": {
            "layers": [
                "flatten",
                {"type": "dense", "units": 200_000_000},
                {"type": "dense", "units": 10, "activation": "softmax"},
            ]
        },
    }
    return write_config(tmp_path, data)


@pytest.mark.parametrize("command", ["validate", "train"])
def test_a_model_too_large_for_memory_is_refused_before_allocating(tmp_path, cli, command):
    from dlkit.core.backend import keras

    keras()  # TensorFlow's start-up is not the check's time
    args = ["--dry-run"] if command == "validate" else ["--runs-dir", tmp_path / "runs", "-q"]
    start = time.perf_counter()
    line = refusal(cli(command, _huge_dense(tmp_path), *args))
    assert time.perf_counter() - start < 10
    # 64 pixels x 200,000,000 units (+ biases), then 10 units on those: 60 GB of float32 weights
    assert line.startswith(
        "dlkit: error: model.layers.1 (dense) holds 13,000,000,000 of the model's 15,000,000,010 parameters: "
        "60.0 GB of weights, about 240.0 GB to train (weights, gradients, optimizer state); this machine has "
    )
    assert not (tmp_path / "runs").exists()


def test_training_on_a_missing_target_column_is_one_line(tmp_path, cli):
    """It was a KeyError traceback from pandas (`missing: mean` drops rows by the target first)."""
    config = iris_config(iris_csv(tmp_path / "iris.csv"), target="specis", missing="mean")
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr and not isinstance(result.exception, KeyError)
    assert (
        result.stderr.strip()
        == f"dlkit: error: {tmp_path / 'iris.csv'}: no target column 'specis'; did you mean 'species'?"
    )


def shapes(folder, cli):
    """A segmentation folder (images/ and masks/) trained as a classification."""
    made = cli("make-data", "shapes-segmentation", folder / "shapes", "--n", "12", "--size", "16")
    assert made.exit_code == 0, made.stderr
    config = {
        "name": "shapes",
        "task": "classification",
        "data": {"dataset": "segmentation_folder", "options": {"path": str(folder / "shapes"), "image_size": [16, 16]}},
        "model": {"layers": ["flatten", {"type": "dense", "units": 4, "activation": "softmax"}]},
    }
    message = (
        f"data.options.path: {folder / 'shapes'} holds masks (a class per pixel); task 'classification' needs "
        "class labels (integers or names): set task: segmentation"
    )
    return config, message


@pytest.mark.parametrize("case", ["regression on names", "classification on masks", "no task on ratings"])
def test_validate_and_train_refuse_labels_of_another_task_in_the_same_words(tmp_path, cli, case):
    config, message = {
        "regression on names": lambda: penguins(tmp_path),
        "classification on masks": lambda: shapes(tmp_path, cli),
        "no task on ratings": lambda: ratings(tmp_path),
    }[case]()
    path = write_config(tmp_path, config)
    key = message.split(":")[0].rsplit(".", 1)[-1]  # `target:` or `path:`, as the file writes it
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip().startswith(f"{key}:"))

    validated = cli("validate", path)
    assert validated.exit_code == 2
    assert validated.stderr.splitlines() == [f"dlkit: error: {path}:{line}: {message}"]

    trained = cli("train", path, "--runs-dir", tmp_path / "runs")
    assert trained.exit_code == 2
    assert trained.stderr.splitlines() == [f"dlkit: error: {message}"]
    assert not (tmp_path / "runs").exists()
