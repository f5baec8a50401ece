"""`csv`: messy tables cleaned, encoded inside the model, and predicted row by row."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import write_config
from helpers.table import messy_table, table_config


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
