"""`csv`: messy tables cleaned and encoded; integer ids read as text the same way in training and
predict."""

import json
import re

import numpy as np
import pytest

from conftest import write_config
from dlkit.core.registries import DATASETS
from dlkit.data.table import category_text
from helpers.predict_tables import ratings
from helpers.table import messy_table, table_config


@pytest.mark.parametrize(
    "text, integer_ids, expected",
    [("60", True, "60"), ("60.0", True, "60"), (" 60 ", True, "60"), ("6e1", True, "60"), ("-0", True, "0"),
     ("12345678901234567890", True, "12345678901234567890"), ("60.0", False, "60.0"), (" Atlantis ", False, "Atlantis"),
     ("", True, ""), (None, True, ""), (60.0, True, "60"), (60, False, "60")],
)  # fmt: skip
def test_category_text(text, integer_ids, expected):
    assert category_text(text, integer_ids) == expected


@pytest.mark.parametrize("text", ["60.5", "1e-3", "nan", "inf", "six", "1e400"])
def test_category_text_refuses_what_is_not_an_integer_id(text):
    with pytest.raises(ValueError, match=re.escape(f"{text} is not an integer id")):
        category_text(text, True)


def test_a_test_table_holds_integer_ids_as_training_does(tmp_path):
    from dlkit.core.errors import DataError
    from dlkit.core.registries import DATASETS

    frame = ratings(50).astype({"user_id": object})
    frame.loc[3, "user_id"] = None
    frame.to_csv(tmp_path / "train.csv", index=False)
    test = frame.copy()
    test.loc[3, "user_id"], test.loc[4, "user_id"] = "12.0", " 013 "
    test.to_csv(tmp_path / "test.csv", index=False)
    spec = {"path": tmp_path / "train.csv", "target": "rating", "categorical": ["user_id", "item_id"]}
    arrays = DATASETS.get("csv")(**spec, test_path=tmp_path / "test.csv").load()
    assert arrays.x_test["user_id"][3:5].tolist() == ["12", "13"]
    assert len(arrays.x_train["user_id"]) == 49 and not any("." in v for v in arrays.x_train["user_id"])
    frame.loc[3, "user_id"] = 7.5
    frame.to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match=r"test.csv: row 5, column 'user_id': 7.5 is not an integer id"):
        DATASETS.get("csv")(**spec, test_path=tmp_path / "test.csv").load()


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


def test_embedded_categories(tmp_path, cli):
    path = messy_table(tmp_path / "t.csv", 120)
    config = table_config(path, categorical_encoding="embedding", embedding_dim=3)
    summary = json.loads(cli("validate", write_config(tmp_path, config), "--dry-run", "--json").stdout)
    assert any(layer["class"] == "Embedding" for layer in summary["layers"])
