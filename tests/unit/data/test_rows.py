"""The rows are the user's: identical examples found whatever their form, `duplicates: drop` and
`duplicates: group`, the line training prints (rows read, used, left out and why, duplicates kept,
held-out rows identical to training rows), and a text CSV's blank rows counted."""

import numpy as np
import pandas as pd
import pytest

from dlkit.config.loader import parse_config
from dlkit.engine.prepare import prepare_data
from helpers.rows import as_tuples, held_out_in_train, survey_config, survey_table


def test_duplicates_drop_keeps_the_first_of_each_and_says_so(tmp_path):
    path = survey_table(tmp_path / "survey.csv")
    unique = pd.read_csv(path).drop_duplicates()
    data = prepare_data(parse_config(survey_config(path, duplicates="drop")))
    kept = [row for split in (data.splits.train, data.splits.val, data.splits.test) for row in as_tuples(split)]
    assert len(kept) == len(set(kept)) == len(unique)
    dropped = 600 - len(unique)
    assert data.rows_used() == (
        f"data: 600 rows read, {len(unique)} used ({dropped} rows left out as duplicates by duplicates: drop)"
    )


def test_duplicates_group_keeps_identical_rows_in_one_split(tmp_path):
    path = survey_table(tmp_path / "survey.csv")
    repeated = int(pd.read_csv(path).duplicated().sum())
    data = prepare_data(parse_config(survey_config(path, duplicates="group")))
    assert held_out_in_train(data) == 0
    assert set(as_tuples(data.splits.val)).isdisjoint(as_tuples(data.splits.test))
    assert sum(map(len, (data.splits.train, data.splits.val, data.splits.test))) == 600
    assert data.rows_used() == f"data: 600 rows read, 600 used ({repeated} exact duplicate rows kept)"
    # dlkit cv's folds keep them together as well
    folded = survey_config(path, duplicates="group")
    folded["data"]["split"] = {"test": 0.2, "folds": 3, "fold": 2}
    data = prepare_data(parse_config(folded))
    assert held_out_in_train(data) == 0 and len(data.splits.val) > 100


@pytest.mark.parametrize("duplicates", ["keep", "drop"])
def test_text_csv_keeps_its_rows_and_counts_the_blank_ones(tmp_path, duplicates):
    texts, labels = [], []
    for i in range(10):
        texts += ["great film", "dull film", "great film", "loved it", "great film", "", "fine", f"film {i}"]
        labels += ["pos", "neg", "pos", "pos", "pos", "neg", "", "pos" if i % 2 else "neg"]
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(path, index=False)
    config = {
        "name": "reviews",
        "data": {
            "dataset": "text_csv",
            "options": {"path": str(path), "duplicates": duplicates},
            "split": {"validation": 0.3, "test": 0.3},
        },
        "model": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
    }
    data = prepare_data(parse_config(config))
    blank = "10 rows left out with a blank label; 10 rows left out with a blank text"
    if duplicates == "keep":
        assert data.rows_used().startswith(f"data: 80 rows read, 60 used ({blank}; 47 exact duplicate rows kept")
    else:
        dropped = "47 rows left out as duplicates by duplicates: drop"
        assert data.rows_used() == f"data: 80 rows read, 13 used ({blank}; {dropped})"


def test_identical_examples_hash_alike_whatever_their_form():
    from dlkit.data.rows import row_keys

    table = {"age": np.array([31.0, 40.0, 31.0]), "city": np.array(["lyon", "nice", "lyon"], dtype=object)}
    keys = row_keys(table, np.array(["yes", "no", "yes"]))
    assert keys[0] == keys[2] and keys[0] != keys[1]
    assert row_keys(table, np.array(["yes", "no", "no"]))[0] != row_keys(table, np.array(["yes", "no", "no"]))[2]
    images = np.zeros((3, 4, 4, 1), "uint8")
    images[1, 0, 0, 0] = 1
    keys = row_keys(images, np.array([2, 2, 2]))
    assert keys[0] == keys[2] != keys[1] and len(keys) == 3
    texts = row_keys(np.array(["a film", "a film", "a film"]), np.array([0, 1, 0]))
    assert texts[0] == texts[2] != texts[1]


def test_settle_duplicates_keep_drop_group():
    from dlkit.data.rows import Rows, settle_duplicates

    x, y = np.array([[1.0], [2.0], [1.0], [3.0], [1.0]]), np.array([0, 1, 0, 1, 1])
    rows = Rows(read=5, duplicates="drop")
    assert settle_duplicates("keep", x, y, rows)[2] is None and rows.left_out == {}
    kept_x, kept_y, groups = settle_duplicates("drop", x, y, rows)
    assert kept_x[:, 0].tolist() == [1.0, 2.0, 3.0, 1.0] and kept_y.tolist() == [0, 1, 1, 1]  # first of each, in order
    assert groups is None and rows.left_out == {"as duplicates by duplicates: drop": 1}
    _, _, groups = settle_duplicates("group", x, y, Rows(read=5))
    assert groups[0] == groups[2] and len(set(groups.tolist())) == 4


def test_the_line_training_prints_counts_duplicates_and_leaks():
    from dlkit.data.prepared import summary
    from dlkit.data.rows import Rows
    from dlkit.data.splits import Split, Splits

    train = Split(np.array([[1.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    val = Split(np.array([[2.0], [4.0]]), np.array([1, 0]))
    test = Split(np.array([[5.0], [2.0]]), np.array([1, 1]))
    rows = Rows(read=10, duplicates="keep")
    rows.leave_out("with a blank target", 2)
    rows.leave_out("with a blank target", 0)
    rows.leave_out("with a blank feature", 1)
    assert summary(rows, Splits(train, val, test)) == (
        "data: 10 rows read, 8 used (2 rows left out with a blank target; 1 row left out with a blank feature; "
        "3 exact duplicate rows kept; 2 val/test rows identical to a training row; duplicates: group would keep "
        "identical rows in one split)"
    )
    alone = Rows(read=4, noun="example", compare=False)
    assert summary(alone, Splits(train, None, None)) == "data: 4 examples read, 4 used"
    same = Splits(train, test, test)  # validation on the test split: counted once
    assert summary(Rows(read=6, duplicates="drop"), same).startswith("data: 6 rows read, 6 used (")
