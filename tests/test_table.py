"""`csv`: messy tables cleaned, encoded inside the model, and predicted row by row."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from conftest import write_config
from dlkit.core.registries import DATASETS


def messy_table(path, rows=300):
    """breast_cancer as a user's CSV: spaced names, a category, string labels, gaps, duplicates."""
    frame = load_breast_cancer(as_frame=True).frame.iloc[:rows, [0, 1, 2, 3, 20, 21, 22, 27, 30]].copy()
    frame.columns = [f" {c.title()} " for c in frame.columns[:-1]] + ["Diagnosis"]
    frame["Diagnosis"] = np.where(frame["Diagnosis"] == 1, "benign", "malignant")
    frame["Clinic"] = np.where(np.arange(len(frame)) % 3 == 0, "north", "south")
    frame.iloc[3, 0] = np.nan
    frame.iloc[7, -1] = np.nan
    frame = pd.concat([frame, frame.iloc[:5]])  # duplicate rows
    frame.to_csv(path, index=False)
    return path


def table_config(path, **options):
    return {
        "name": "table",
        "seed": 3,
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "diagnosis", **options},
            "batch_size": 32,
        },
        "model": {
            "layers": [
                {"type": "dense", "units": 16, "activation": "relu"},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ]
        },
        "train": {"epochs": 8, "optimizer": {"type": "adam", "learning_rate": 0.01}},
    }


def test_cleaning_and_columns(tmp_path):
    path = messy_table(tmp_path / "t.csv")
    dropped = DATASETS.get("csv")(path=path, target="Diagnosis").load()
    filled = DATASETS.get("csv")(path=path, target="diagnosis", missing="median").load()
    # every row kept, but those with a gap (rows 3 and 7, and the copy of row 3) under missing: drop
    assert len(filled.y_train) == 305 and len(dropped.y_train) == 302
    deduplicated = DATASETS.get("csv")(path=path, target="diagnosis", duplicates="drop").load()
    assert len(deduplicated.y_train) == 298 and deduplicated.rows.left_out == {
        "with an empty cell by missing: drop": 3,
        "as duplicates by duplicates: drop": 4,
    }
    assert filled.feature_names[:2] == ["mean_radius", "mean_texture"] and "clinic" in filled.feature_names
    assert filled.x_train["clinic"].dtype.kind == "U" and filled.x_train["mean_radius"].dtype == np.float32
    assert np.isnan(filled.x_train["mean_radius"]).sum() == 2  # row 3 and its copy: filled inside the model


def test_train_eval_and_predict_rows(tmp_path, cli):
    path = messy_table(tmp_path / "t.csv")
    result = cli(
        "train", write_config(tmp_path, table_config(path, missing="mean")), "--runs-dir", tmp_path / "runs", "-q"
    )
    assert result.exit_code == 0, result.stderr
    run_dir = (tmp_path / "runs" / "latest").resolve()
    info = json.loads((run_dir / "run.json").read_text())
    assert info["classes"] == ["benign", "malignant"] and info["input"]["kind"] == "table"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] > 0.85
    assert cli("eval", run_dir).exit_code == 0
    assert json.loads((run_dir / "eval" / "metrics.json").read_text())["test"] == pytest.approx(metrics["test"])

    rows = pd.read_csv(path).iloc[:4].drop(columns=["Diagnosis"]).astype({" Mean Texture ": object})
    rows.iloc[1, 0] = np.nan  # a gap: filled with the training mean inside the model
    rows.iloc[2, -1] = "east"  # a category never seen: the lookup's out-of-vocabulary slot, reported
    rows.iloc[3, 1] = "lots"  # not a number: this row alone fails
    rows.to_csv(tmp_path / "rows.csv", index=False)
    out = cli("predict", tmp_path / "rows.csv", "--run", run_dir, "--json", "--output", tmp_path / "preds.csv")
    assert out.exit_code == 1
    predictions = json.loads(out.stdout)["predictions"]
    assert [p.get("label") in ("benign", "malignant") for p in predictions] == [True, True, True, False]
    assert "column 'mean_texture': 'lots' is not a number" in predictions[3]["error"]
    assert "rows.csv:5: column 'mean_texture'" in out.stderr
    assert predictions[2]["unseen"] == {"clinic": "east"} and "unseen" not in predictions[1]
    assert "clinic: 1 row with a value not seen in training ('east')" in out.stderr
    written = pd.read_csv(tmp_path / "preds.csv")
    assert written.shape == (4, 5) and written["unseen"][2] == "clinic=east"  # the unseen column is new


def test_predict_needs_the_training_columns(tmp_path, cli):
    path = messy_table(tmp_path / "t.csv", 120)
    config = table_config(path) | {"train": {"epochs": 1}}
    assert cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    pd.read_csv(path).drop(columns=["Clinic"]).to_csv(tmp_path / "rows.csv", index=False)
    pd.read_csv(path).head(3).to_csv(tmp_path / "good.csv", index=False)
    out = cli("predict", tmp_path / "rows.csv", tmp_path / "good.csv", "--run", tmp_path / "runs" / "latest", "--json")
    assert out.exit_code == 1 and "rows.csv: missing columns clinic" in out.stderr
    rows = json.loads(out.stdout)["predictions"]
    assert "error" in rows[0] and all("error" not in r for r in rows[1:]) and len(rows) == 4  # the good file's 3 rows
    accuracy = np.mean([r["label"] == t for r, t in zip(rows[1:], pd.read_csv(path)["Diagnosis"][:3], strict=True)])
    assert f"target column 'diagnosis' present: accuracy {accuracy:.4g} on 3 rows" in out.stderr  # good.csv has it


def test_embedded_categories(tmp_path, cli):
    path = messy_table(tmp_path / "t.csv", 120)
    config = table_config(path, categorical_encoding="embedding", embedding_dim=3)
    summary = json.loads(cli("validate", write_config(tmp_path, config), "--dry-run", "--json").stdout)
    assert any(layer["class"] == "Embedding" for layer in summary["layers"])


def _bad_cell(frame):
    frame[" Mean Area "] = frame[" Mean Area "].astype(object)
    frame.loc[0, " Mean Area "] = "big"
    return frame


@pytest.mark.parametrize(
    "options, change, message",
    [
        ({"target": "diagnosys"}, None, "no target column 'diagnosys'; did you mean 'diagnosis'?"),
        ({"features": ["mean_radius", "radius"]}, None, "no feature column 'radius'"),
        ({}, _bad_cell, "row 2, column 'mean_area': 'big' is not a number"),
    ],
)  # fmt: skip
def test_table_problems_are_one_clear_error(tmp_path, cli, options, change, message):
    path = messy_table(tmp_path / "t.csv", 60)
    if change:
        change(pd.read_csv(path)).to_csv(path, index=False)
    config = table_config(path)
    config["data"]["options"] |= options
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "runs").exists()


def test_not_a_csv(tmp_path, cli):
    (tmp_path / "t.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x01")
    result = cli("train", write_config(tmp_path, table_config(tmp_path / "t.csv")), "--runs-dir", tmp_path / "runs")
    # Measured before pandas reads it (the column bound, data.max_bytes): its header is not text.
    assert result.exit_code == 1 and "t.csv: not UTF-8 text (invalid start byte at byte 0)" in result.stderr
