"""Numeric embeddings trained: every numeric column embedded (`numeric_encoding`) fits a step function
that standardised inputs do not in the same epochs, and the YAML layers on single columns; both
predict raw rows (blanks filled, edges applied inside model.keras) from the run folder alone."""

import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from conftest import write_config
from helpers.numeric_table import numeric_config, numeric_table


def _train(tmp_path: Path, cli, config: dict, name: str) -> Path:
    result = cli("train", write_config(tmp_path, config, f"{name}.yaml"), "--runs-dir", tmp_path / name, "-q")
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _raw_rows(tmp_path: Path, path: Path) -> tuple[Path, pd.DataFrame]:
    rows = pd.read_csv(path).head(6).drop(columns=["y"])
    rows.loc[1, "x"] = np.nan  # a blank: filled inside the model with the training median
    rows.to_csv(tmp_path / "rows.csv", index=False)
    return tmp_path / "rows.csv", rows


def _predicted(cli, rows: Path, run: Path) -> np.ndarray:
    out = cli("predict", rows, "--run", run, "--json")
    assert out.exit_code == 0, out.stderr
    return np.array([row["value"] for row in json.loads(out.stdout)["predictions"]])


def _by_model_keras(run: Path, rows: pd.DataFrame) -> np.ndarray:
    """model.keras called on the raw columns itself (blanks as NaN, categories as text)."""
    import tensorflow as tf

    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    numeric = {name: rows[name].dtype.kind in "fi" for name in rows}
    columns = {name: tf.constant(rows[name].to_numpy("float32" if numeric[name] else str)[:, None]) for name in rows}
    return keras.ops.convert_to_numpy(model(columns)).reshape(-1)


def test_piecewise_linear_columns_fit_a_step_function_and_predict_raw_rows(tmp_path, cli):
    path = numeric_table(tmp_path / "t.csv", rows=800)
    rmse = {}
    for encoding in ("standardize", "piecewise_linear"):
        config = numeric_config(path, numeric_encoding=encoding)
        config["train"]["epochs"] = 12
        run = _train(tmp_path, cli, config, encoding)
        rmse[encoding] = json.loads((run / "metrics.json").read_text())["test"]["rmse"]
    assert rmse["piecewise_linear"] < 0.6 * rmse["standardize"], rmse
    rows, frame = _raw_rows(tmp_path, path)
    np.testing.assert_allclose(_predicted(cli, rows, run), _by_model_keras(run, frame), rtol=1e-5, atol=1e-5)
    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    assert len(model.get_layer("numeric_embedding").get_config()["edges"]) == 4  # x, z, k, flat


def test_yaml_embedding_layers_on_columns_train_and_predict_raw_rows(tmp_path, cli):
    path = numeric_table(tmp_path / "t.csv", rows=200)
    config = numeric_config(path, categorical_encoding="embedding", embedding_dim="auto")
    config["model"]["layers"] = [
        {"type": "periodic_embedding", "sigma": 0.5, "d_embedding": 8, "inputs": ["columns.x"], "name": "px"},
        {"type": "piecewise_linear_embedding", "edges": [-1.5, -0.5, 0.5, 1.5], "inputs": ["columns.z"], "name": "pz"},
        {"type": "concatenate", "inputs": ["input", "px", "pz"]},
        *config["model"]["layers"],
    ]
    dry = cli("validate", write_config(tmp_path, config), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    run = _train(tmp_path, cli, config, "yaml")
    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    assert json.loads(dry.stdout)["params"] == model.count_params()
    assert model.get_layer("shop_embed").output_dim == 5  # six shops and the unseen slot: round(1.6 * 7 ** 0.56)
    rows, frame = _raw_rows(tmp_path, path)
    np.testing.assert_allclose(_predicted(cli, rows, run), _by_model_keras(run, frame), rtol=1e-5, atol=1e-5)
