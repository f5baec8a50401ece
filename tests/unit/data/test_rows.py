"""The rows are the user's: `duplicates: drop` and `duplicates: group`, and a text CSV's blank rows
counted."""

import pandas as pd
import pytest

from dlkit.config.loader import parse_config
from dlkit.data.prepare import prepare_data
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
