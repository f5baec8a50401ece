"""Regression targets: learned on the standard scale, answered in their own units
(`data.options.scale_target`), a float target not taken for classes, and the series example."""

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml

from conftest import REPO, write_config
from dlkit.config import load_config
from dlkit.engine.prepare import prepare_data
from helpers.regression_targets import _two_targets, yearly_series


def test_the_model_learns_standard_units_and_answers_in_the_targets_units(tmp_path, cli):
    result = cli("train", write_config(tmp_path, _two_targets(tmp_path)), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["data"]["options"]["scale_target"] is True

    with np.load(tmp_path / "d.npz") as f:
        y_train, x_test, y_test = f["y_train"], f["x_test"], f["y_test"]
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    layer = model.get_layer("scale_target")
    assert model.layers[-1] is layer and not layer.weights
    np.testing.assert_allclose(layer.offset, y_train.mean(axis=0), rtol=1e-5)  # mean + std * output
    np.testing.assert_allclose(layer.scale, [y_train[:, 0].std(), 1.0], rtol=1e-5)

    # metrics.json is in the targets' units: the MAE of model.keras's own outputs.
    outputs = model.predict(x_test, verbose=0)
    test = json.loads((run_dir / "metrics.json").read_text())["test"]
    assert test["mae"] == pytest.approx(float(np.abs(outputs - y_test).mean()), rel=1e-4)
    assert test["mae"] < y_test[:, 0].std()  # two epochs on the standard scale already beat the mean

    # A copied run folder predicts the same numbers.
    copy = tmp_path / "elsewhere" / run_dir.name
    shutil.copytree(run_dir, copy)
    rows = "a,b,c\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in x_test[:3])
    (tmp_path / "rows.csv").write_text(rows + "\n")
    out = cli("predict", tmp_path / "rows.csv", "--run", copy, "--json")
    assert out.exit_code == 0, out.stderr
    values = [row["value"] for row in json.loads(out.stdout)["predictions"]]
    np.testing.assert_allclose(values, model.predict(np.round(x_test[:3], 6), verbose=0), rtol=1e-5)
    written = cli("predict", tmp_path / "rows.csv", "--run", copy, "--output", tmp_path / "preds.csv")
    assert written.exit_code == 0, written.stderr
    assert (tmp_path / "preds.csv").read_text().splitlines()[0] == "input,prediction,unseen,error"  # no probability


def _ratings(path: Path, rows: int = 300) -> Path:
    """Average ratings (floats with fractions), two numeric features."""
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, rows))
    rating = np.clip(3 + a - 0.5 * b + rng.normal(0, 0.3, rows), 1, 5)
    lines = [f"{p:.4f},{q:.4f},{r:.3f}" for p, q, r in zip(a, b, rating, strict=True)]
    path.write_text("a,b,rating\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (None, "data.options.target: column 'rating' holds numbers with fractions ({n} distinct, e.g. "),
        (None, "; task 'classification' (the default) needs class labels (integers or names): set task: regression\n"),
        ("classification", "; task 'classification' needs class labels (integers or names): set task: regression"),
        ("binary", "; task 'binary' needs class labels (integers or names): set task: regression"),
    ],
)  # fmt: skip
def test_a_float_target_is_not_taken_for_classes(tmp_path, cli, task, message):
    path = _ratings(tmp_path / "ratings.csv")
    config = {
        "name": "ratings",
        "data": {"dataset": "csv", "options": {"path": str(path), "target": "rating"}},
        "model": {"layers": [{"type": "dense", "units": 4}]},
    }
    if task:
        config["task"] = task
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs")
    distinct = len({line.split(",")[2] for line in path.read_text().splitlines()[1:]})
    assert result.exit_code == 2
    assert message.format(n=distinct) in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 300
    assert not (tmp_path / "runs").exists()


def test_series_example_beats_repeating_the_last_value(tmp_path, cli):
    """configs/series_regression.yaml as shipped (10 epochs here, not 50) on a series in the
    hundreds, against the persistence forecast on the same test windows."""
    path = yearly_series(tmp_path / "series.csv")
    sets = [f"data.options.path={path}", "train.epochs=10"]
    args = [a for s in sets for a in ("--set", s)]
    result = cli("train", REPO / "configs" / "series_regression.yaml", "--runs-dir", tmp_path / "runs", "-q", *args)
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    test = prepare_data(load_config(run_dir / "config.yaml")).splits.test
    persistence = float(np.abs(test.x[:, -1, 0] - test.y).mean())
    mae = json.loads((run_dir / "metrics.json").read_text())["test"]["mae"]
    assert persistence > 20 and mae < 0.8 * persistence, (mae, persistence)
