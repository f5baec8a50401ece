"""The rows are the user's: a table's identical rows are kept by default (survey, sensor and count
data repeat), training says how many rows it read and used, why any were left out, how many exact
duplicates it kept and how many held-out rows are also training rows; `duplicates: drop` and
`duplicates: group` do what they say, and predict still answers every row."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from conftest import write_config
from dlkit.config.loader import load_run_config, parse_config
from dlkit.engine.prepare import prepare_data
from helpers.rows import held_out_in_train, survey_config, survey_table


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
