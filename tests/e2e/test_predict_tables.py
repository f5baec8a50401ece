"""Table columns keep one type from training to predict: integer ids, unseen values, the target
column left in (rating tables: user id, item id, rating; blank cells, ids never seen in training);
a regression's predict table has no probability columns."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from conftest import write_config
from dlkit.cli import app
from helpers.predict_tables import ratings, ratings_config


def test_a_regression_predict_table_has_no_probability_columns(tmp_path, cli):
    table = tmp_path / "diabetes.csv"
    assert cli("to-csv", "diabetes", table).exit_code == 0
    config = {
        "name": "reg",
        "seed": 1,
        "task": "regression",
        "data": {"dataset": "csv", "options": {"path": str(table), "target": "target"}, "batch_size": 64},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"epochs": 1},
    }
    trained = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    run_dir = trained.stdout.strip().splitlines()[-1]
    result = cli("predict", table, "--run", run_dir, "--all")
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "prediction" in line)
    assert "probability" not in header and "top" not in header
    values = [line.split("│")[2].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(values) == 442 and all(re.fullmatch(r"-?\d+(\.\d+)?(e[-+]\d+)?", v) for v in values[:5])


@pytest.fixture(scope="module")
def ratings_run(tmp_path_factory):
    """A regression run on integer user/item ids; the training CSV has one blank id cell (so
    pandas alone would read that id column as floats)."""
    folder = tmp_path_factory.mktemp("ratings")
    everything = ratings(1540)
    frame = everything.iloc[:1500].astype({"user_id": object})
    frame.loc[10, "user_id"] = None
    frame.to_csv(folder / "train.csv", index=False)
    config = write_config(folder, ratings_config(folder / "train.csv"))
    result = CliRunner().invoke(app, ["train", str(config), "--runs-dir", str(folder / "runs"), "-q"])
    assert result.exit_code == 0, result.stderr
    return (folder / "runs" / "latest").resolve(), everything.iloc[1500:].reset_index(drop=True)


def _predict(cli, run_dir, frame, path, *options):
    frame.to_csv(path, index=False)
    result = cli("predict", path, "--run", run_dir, "--json", *options)
    return result, json.loads(result.stdout)["predictions"]


def _values(rows):
    return np.array([row.get("value", np.nan) for row in rows], dtype=float)


def test_integer_ids_predict_the_same_whatever_else_the_file_holds(ratings_run, cli, tmp_path):
    """The issue's constant prediction: a float column (the target left in) or one blank cell made
    pandas read the ids as floats (`7.0`), which all fell into the out-of-vocabulary slot."""
    run_dir, test = ratings_run
    ids = test.drop(columns=["rating"])
    result, rows = _predict(cli, run_dir, ids, tmp_path / "ids.csv")
    assert result.exit_code == 0, result.stderr
    expected = _values(rows)
    assert len(np.unique(expected)) > 20  # one prediction per user/item pair, not one constant

    result, rows = _predict(cli, run_dir, test, tmp_path / "with_target.csv")  # `rating` is a float column
    assert result.exit_code == 0, result.stderr
    np.testing.assert_allclose(_values(rows), expected, rtol=1e-6)

    blank = ids.astype({"item_id": object})
    blank.loc[3, "item_id"] = None  # that row's item is filled inside the model; the others are as before
    result, rows = _predict(cli, run_dir, blank, tmp_path / "blank.csv")
    assert result.exit_code == 0, result.stderr
    values = _values(rows)
    np.testing.assert_allclose(np.delete(values, 3), np.delete(expected, 3), rtol=1e-6)
    assert len(np.unique(values)) > 20


def test_the_vocabulary_holds_ids_as_written_in_training(ratings_run):
    """A blank id cell in the training CSV does not turn the vocabulary into `7.0` strings."""
    import keras

    run_dir, _ = ratings_run
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    users = model.get_layer("user_id_lookup").get_vocabulary()[1:]
    assert len(users) == 30 and sorted(users, key=int) == [str(u) for u in range(1, 31)]


def test_one_id_however_it_is_written(ratings_run, cli, tmp_path):
    run_dir, _ = ratings_run
    (tmp_path / "rows.csv").write_text(
        "user_id,item_id,note\n7,112,x\n7.0,112.0,1.5\n 7 ,112 ,\n7e0,1.12e2,\n7.5,112,\n+7,0112,\n"
    )
    result = cli("predict", tmp_path / "rows.csv", "--run", run_dir, "--json")
    assert result.exit_code == 1  # the 7.5 row
    rows = json.loads(result.stdout)["predictions"]
    values = _values(rows)
    assert np.all(values[[0, 1, 2, 3, 5]] == values[0]) and "unseen" not in json.dumps(rows)
    assert rows[4]["error"] == "column 'user_id': 7.5 is not an integer id"
    assert "rows.csv:6: column 'user_id': 7.5 is not an integer id" in result.stderr


def _unseen_rows(test):
    rows = test.drop(columns=["rating"]).head(6)
    rows.loc[1, "user_id"] = 999  # a user never seen in training
    rows.loc[2, "item_id"] = 555
    rows.loc[4, "item_id"] = 556
    rows.loc[5, "item_id"] = 555
    return rows


def _with_policy(run_dir, tmp_path, policy):
    copy = shutil.copytree(run_dir, tmp_path / f"run-{policy}")
    config = yaml.safe_load((copy / "config.yaml").read_text())
    assert config["data"]["options"]["unseen"] == "warn"  # the default, written in the run's config
    config["data"]["options"]["unseen"] = policy
    (copy / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return copy


def test_unseen_values_are_reported(ratings_run, cli, tmp_path):
    run_dir, test = ratings_run
    result, rows = _predict(cli, run_dir, _unseen_rows(test), tmp_path / "rows.csv", "--output", tmp_path / "p.csv")
    assert result.exit_code == 0, result.stderr
    assert [row.get("unseen") for row in rows] == [
        None, {"user_id": "999"}, {"item_id": "555"}, None, {"item_id": "556"}, {"item_id": "555"}
    ]  # fmt: skip
    assert all("value" in row for row in rows)
    assert "user_id: 1 row with a value not seen in training ('999')" in result.stderr
    assert "item_id: 3 rows with values not seen in training ('555', '556')" in result.stderr
    written = pd.read_csv(tmp_path / "p.csv")
    assert written["unseen"].fillna("").tolist() == ["", "user_id=999", "item_id=555", "", "item_id=556", "item_id=555"]


def test_unseen_policy_error_and_ignore(ratings_run, cli, tmp_path):
    run_dir, test = ratings_run
    rows_csv = tmp_path / "rows.csv"
    result, rows = _predict(cli, _with_policy(run_dir, tmp_path, "error"), _unseen_rows(test), rows_csv)
    assert result.exit_code == 1
    assert [("error" in row) for row in rows] == [False, True, True, False, True, True]
    assert rows[1]["error"] == "column 'user_id': '999' was not seen in training (data.options.unseen: error)"
    assert "rows.csv:3: column 'user_id': '999' was not seen in training" in result.stderr

    result, rows = _predict(cli, _with_policy(run_dir, tmp_path, "ignore"), _unseen_rows(test), rows_csv)
    assert result.exit_code == 0 and "not seen" not in result.stderr
    assert all("value" in row and "unseen" not in row for row in rows)


def test_the_target_column_is_ignored_and_scored(ratings_run, cli, tmp_path):
    run_dir, test = ratings_run
    columns = ["rating", "item_id", "user_id"]  # in another order than in training
    result, rows = _predict(cli, run_dir, test[columns], tmp_path / "with_target.csv")
    assert result.exit_code == 0, result.stderr
    errors = _values(rows) - test["rating"].to_numpy()
    line = re.search(r"target column 'rating' present: mae ([\d.]+), rmse ([\d.]+) on 40 rows", result.stderr)
    assert line, result.stderr
    assert float(line[1]) == pytest.approx(np.abs(errors).mean(), abs=0.001)
    assert float(line[2]) == pytest.approx(np.sqrt((errors**2).mean()), abs=0.001)
    assert float(line[2]) < 0.6  # the ratings are 1-5 with noise 0.2: the ids are used


def test_predict_without_run_names_the_table_run(ratings_run, cli, tmp_path, monkeypatch):
    run_dir, test = ratings_run
    monkeypatch.chdir(run_dir.parent.parent)
    test[["user_id", "rating"]].to_csv(tmp_path / "rows.csv", index=False)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = cli("predict", tmp_path / "rows.csv", tmp_path / "photo.png")
    assert result.exit_code == 1
    assert "rows.csv: missing columns item_id; the model takes " in result.stderr
    assert "photo.png: not a CSV file (an image; this run takes CSV rows)" in result.stderr
    assert f"runs/{run_dir.name} (a table run): 2 of 2 inputs could not be predicted" in result.stderr
    assert result.stderr.count(run_dir.name) == 1


def test_a_run_trained_before_ids_were_read_as_text_still_finds_them(ratings_run, cli, tmp_path):
    """Runs trained from a CSV with a blank id cell hold `7.0` in their vocabulary: `7` finds it."""
    import keras

    run_dir, test = ratings_run
    old = shutil.copytree(run_dir, tmp_path / "old")
    model = keras.saving.load_model(old / "model.keras", safe_mode=True)
    for name in ("user_id", "item_id"):
        layer = model.get_layer(f"{name}_lookup")
        layer.set_vocabulary([f"{v}.0" for v in layer.get_vocabulary(include_special_tokens=False)])
    model.save(old / "model.keras")
    ids = test.drop(columns=["rating"])
    _, expected = _predict(cli, run_dir, ids, tmp_path / "ids.csv")
    result, rows = _predict(cli, old, ids, tmp_path / "ids.csv")
    assert result.exit_code == 0 and "not seen" not in result.stderr
    np.testing.assert_allclose(_values(rows), _values(expected), rtol=1e-6)


def test_integer_classes_are_scored_however_the_target_is_written(ratings_run, cli, tmp_path):
    frame = ratings(600, seed=2)
    frame["liked"] = (frame.pop("rating") > 3).astype(int)
    frame.to_csv(tmp_path / "train.csv", index=False)
    config = ratings_config(tmp_path / "train.csv")
    config |= {"task": "classification", "train": {"epochs": 2, "loss": "sparse_categorical_crossentropy"}}
    config["data"]["options"]["target"] = "liked"
    config["model"]["layers"][-1] = {"type": "dense", "units": 2, "activation": "softmax"}
    assert cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    rows_frame = frame.head(30).astype({"liked": float})  # `1.0`: class `1`
    result, rows = _predict(cli, tmp_path / "runs" / "latest", rows_frame, tmp_path / "rows.csv")
    assert result.exit_code == 0, result.stderr
    accuracy = np.mean([row["label"] == str(liked) for row, liked in zip(rows, frame["liked"][:30], strict=True)])
    assert f"target column 'liked' present: accuracy {accuracy:.4g} on 30 rows" in result.stderr
