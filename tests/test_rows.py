"""The rows are the user's: a table's identical rows are kept by default (survey, sensor and count
data repeat), training says how many rows it read and used, why any were left out, how many exact
duplicates it kept and how many held-out rows are also training rows; `duplicates: drop` and
`duplicates: group` do what they say, and predict still answers every row."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import write_config
from dlkit.config.loader import load_run_config, parse_config
from dlkit.engine.prepare import prepare_data


def survey_table(path: Path, rows: int = 600) -> Path:
    """Shaped like statsmodels' `fair` survey: a few small-integer answers and a category per
    respondent, a yes/no target; many respondents answer alike, so many rows repeat."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "rate_marriage": rng.choice([3, 4, 5], rows, p=[0.2, 0.35, 0.45]),
            "age": rng.choice([22, 27, 32, 37], rows),
            "children": rng.choice([0, 1, 2], rows, p=[0.5, 0.3, 0.2]),
            "religious": rng.choice([1, 2, 3], rows),
            "occupation": rng.choice(["clerk", "teacher", "manager"], rows, p=[0.5, 0.3, 0.2]),
        }
    )
    odds = 0.8 - 0.15 * (frame["rate_marriage"] - 3) + 0.1 * frame["children"]
    frame["affair"] = np.where(rng.random(rows) < odds / 2, "yes", "no")
    frame.to_csv(path, index=False)
    return path


def survey_config(path: Path, **options) -> dict:
    return {
        "name": "survey",
        "seed": 4,
        "task": "binary",
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "affair", **options},
            "split": {"validation": 0.15, "test": 0.2},
        },
        "model": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ]
        },
        "train": {"epochs": 1},
    }


def as_tuples(split) -> list[tuple]:
    """Each example of a split as a tuple of its cells and its label."""
    return list(zip(*(split.x[name].tolist() for name in split.x), split.y.tolist(), strict=True))


def held_out_in_train(data) -> int:
    """Validation and test rows identical to a training row, counted from the rows themselves."""
    train = set(as_tuples(data.splits.train))
    return sum(row in train for split in (data.splits.val, data.splits.test) for row in as_tuples(split))


def sizes(stderr: str) -> list[int]:
    line = next(line for line in stderr.splitlines() if line.startswith("train "))
    return [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", line)]


def test_every_row_is_trained_on_and_the_duplicates_and_the_leak_are_told(tmp_path, cli):
    path = survey_table(tmp_path / "survey.csv")
    frame = pd.read_csv(path)
    repeated = int(frame.duplicated().sum())
    assert repeated > 100  # the table is what the test is about: many identical rows
    config = survey_config(path)
    leaked = held_out_in_train(prepare_data(parse_config(config)))
    assert leaked > 0

    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    assert sum(sizes(result.stderr)) == len(frame) == 600
    assert result.stderr.splitlines()[0] == (
        f"data: 600 rows read, 600 used ({repeated} exact duplicate rows kept; {leaked} val/test rows "
        "identical to a training row; duplicates: group would keep identical rows in one split)"
    )

    run_dir = Path(result.stdout.strip().splitlines()[-1])
    predicted = cli("predict", path, "--run", run_dir, "--json")
    assert predicted.exit_code == 0, predicted.stderr
    assert len(json.loads(predicted.stdout)["predictions"]) == 600  # every row, the repeated ones too

    # The run keeps its rows when read back; a run of an earlier version, which dropped duplicates
    # without saying so and whose config.yaml has no such key, is read as it was trained.
    assert load_run_config(run_dir).data.options["duplicates"] == "keep"
    written = yaml.safe_load((run_dir / "config.yaml").read_text())
    del written["data"]["options"]["duplicates"]
    (run_dir / "config.yaml").write_text(yaml.safe_dump(written))
    assert load_run_config(run_dir).data.options["duplicates"] == "drop"


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


def test_group_and_ordered_splits_are_refused_in_one_line(tmp_path, cli):
    config = survey_config(survey_table(tmp_path / "survey.csv"), duplicates="group")
    config["data"]["split"]["ordered"] = True
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "data.options.duplicates: group keeps identical rows in one split" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_rows_left_out_are_counted_with_why(tmp_path, cli):
    """Blank targets (a survey question left unanswered) and, with missing: drop, a blank answer
    in a column the model reads; a blank cell in a column it does not read costs no row."""
    path = survey_table(tmp_path / "survey.csv", rows=200)
    frame = pd.read_csv(path).drop_duplicates().reset_index(drop=True)
    frame["note"] = "x"
    frame.loc[[1, 5, 9], "affair"] = np.nan
    frame.loc[[2, 6], "age"] = np.nan
    frame.loc[[3], "note"] = np.nan
    frame.to_csv(path, index=False)
    config = survey_config(path, drop=["note"])
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    read = len(frame)
    assert result.stderr.splitlines()[0].startswith(
        f"data: {read} rows read, {read - 5} used (3 rows left out with a blank target; "
        "2 rows left out with an empty cell by missing: drop"
    )
    assert sum(sizes(result.stderr)) == read - 5

    filled = prepare_data(parse_config(survey_config(path, drop=["note"], missing="median")))
    assert filled.rows_used() == f"data: {read} rows read, {read - 3} used (3 rows left out with a blank target)"


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
