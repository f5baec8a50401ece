"""Predict's table rows without a model: each cell read as training read it (integer ids written
plainly, the vocabulary's suffix), values training never saw marked, a row's error naming its first
bad column, and the columns shaped as a table or an array run's model takes them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlkit.predict.tables import Category, frame_rows, table_examples, wanted_columns

CITY = Category(frozenset({"paris", "lyon"}), None)
#: Integer ids as a run trained before ids were read as text writes them: `60.0`.
OLD_IDS = Category(frozenset({"60.0", "61.0"}), ".0")


def test_a_cell_is_read_as_its_vocabulary_holds_it_and_unseen_ones_are_marked():
    assert CITY.read(" paris ") == ("paris", None)
    assert CITY.read("nice") == ("nice", "nice")
    assert CITY.read(None) == ("", None)  # a blank is no unseen value
    assert Category(None, None).read("nice") == ("nice", None)  # no vocabulary to miss it in
    assert OLD_IDS.read("060") == ("60.0", None) and OLD_IDS.read(61) == ("61.0", None)
    assert OLD_IDS.read("62") == ("62.0", "62")
    with pytest.raises(ValueError, match="7.5 is not an integer id"):
        OLD_IDS.read("7.5")


def test_frame_rows_read_each_column_and_name_the_first_bad_one_per_row():
    frame = pd.DataFrame(
        {
            "age": ["31", "x", "40", None],
            "city": ["lyon", "nice", "paris", "rome"],
            "shop": ["60", "61.0", "7.5", "60"],
        }
    )
    rows, values = frame_rows(frame, {"age": None, "city": CITY, "shop": OLD_IDS}, "new.csv")
    assert [row["input"] for row in rows] == ["new.csv:2", "new.csv:3", "new.csv:4", "new.csv:5"]
    assert rows[0] == {"input": "new.csv:2"}
    assert rows[1] == {"input": "new.csv:3", "error": "column 'age': 'x' is not a number", "unseen": {"city": "nice"}}
    assert rows[2] == {"input": "new.csv:4", "error": "column 'shop': 7.5 is not an integer id"}
    assert rows[3] == {"input": "new.csv:5", "unseen": {"city": "rome"}}  # a blank number is no error
    np.testing.assert_array_equal(values["age"], np.array([31, np.nan, 40, np.nan], "float32"))
    assert values["age"].dtype == np.float32
    assert values["city"].tolist() == ["lyon", "nice", "paris", "rome"]
    assert values["shop"].tolist() == ["60.0", "61.0", "", "60.0"]


def test_columns_are_shaped_as_the_model_takes_them():
    columns = {"a": np.array([1.0, 2.0], "float32"), "b": np.array([3.0, 4.0], "float32")}
    table = table_examples(columns, "table")
    assert set(table) == {"a", "b"} and table["a"].shape == (2, 1)
    np.testing.assert_array_equal(table_examples(columns, "array"), [[1.0, 3.0], [2.0, 4.0]])
    assert wanted_columns(None, "array", ["x1", "x2"]) == {"x1": None, "x2": None}
    assert wanted_columns(None, "array", None) == {}
