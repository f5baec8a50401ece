"""`dlkit validate` knows the task from the data: labels of the wrong kind for the task (text for a
regression, masks for a classification, numbers with fractions under the default task) are one
line naming the key, the column or folder, a value and the task to set, the very sentence that
`dlkit train` prints, both with exit 2 and no run folder."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from conftest import write_config


def penguins(folder):
    """Measurements and a species name per animal, as in the penguins table."""
    frame = load_iris(as_frame=True).frame
    frame["species"] = np.array(["Adelie", "Chinstrap", "Gentoo"])[frame.pop("target")]
    frame.to_csv(folder / "penguins.csv", index=False)
    config = {
        "name": "penguins",
        "task": "regression",
        "data": {"dataset": "csv", "options": {"path": str(folder / "penguins.csv"), "target": "species"}},
        "model": {"layers": [{"type": "dense", "units": 1}]},
    }
    message = (
        "data.options.target: column 'species' holds text ('Adelie', ...); task 'regression' needs numbers: "
        "set task: classification"
    )
    return config, message


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


def ratings(folder):
    """Average ratings (floats with fractions), and no `task:` (so classification, the default)."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"price": rng.normal(20, 5, 150).round(2), "stars": rng.uniform(1, 5, 150).round(2)})
    frame.to_csv(folder / "ratings.csv", index=False)
    config = {
        "name": "ratings",
        "data": {"dataset": "csv", "options": {"path": str(folder / "ratings.csv"), "target": "stars"}},
        "model": {"layers": [{"type": "dense", "units": 1}]},
    }
    distinct, smallest_fraction = frame["stars"].nunique(), frame["stars"][frame["stars"] % 1 != 0].min()
    message = (
        f"data.options.target: column 'stars' holds numbers with fractions ({distinct} distinct, e.g. "
        f"{smallest_fraction:g}); task 'classification' (the default) needs class labels (integers or names): "
        "set task: regression"
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


def test_labels_that_fit_the_task_pass(tmp_path, cli):
    config, _ = penguins(tmp_path)
    config["task"] = "classification"
    config["model"]["layers"] = [{"type": "dense", "units": 3, "activation": "softmax"}]
    assert cli("validate", write_config(tmp_path, config)).exit_code == 0
    config, _ = ratings(tmp_path)
    config["task"] = "regression"
    assert cli("validate", write_config(tmp_path, config)).exit_code == 0
