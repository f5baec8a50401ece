"""`data.split.group`: a table's groups stay whole in the test and validation holdouts and in
cross-validation folds; the group column is no model input; an unknown column is one line."""

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import write_config
from helpers.cv_groups import grouped_config, patients_table


@pytest.mark.slow
def test_cv_with_groups_trains_without_the_group_column(tmp_path, cli):
    config = write_config(tmp_path, grouped_config(patients_table(tmp_path / "t.csv")))
    result = cli("cv", config, "--folds", "2", "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    fold = Path(result.stdout.strip().splitlines()[-1]) / "fold-1"
    assert "patient" not in json.loads((fold / "run.json").read_text())["input"]["features"]
    rows = pd.read_csv(tmp_path / "t.csv").head(3)  # with the patient column: predict ignores it
    rows.to_csv(tmp_path / "rows.csv", index=False)
    predicted = cli("predict", tmp_path / "rows.csv", "--run", fold, "--json")
    assert predicted.exit_code == 0, predicted.stderr


@pytest.mark.parametrize("command", ["cv", "train"])
def test_an_unknown_group_column_is_one_line(tmp_path, cli, command):
    config = write_config(tmp_path, grouped_config(patients_table(tmp_path / "t.csv"), group="patiant"))
    result = cli(command, config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "dlkit: error: data.split.group: no column 'patiant' among the inputs; did you mean 'patient'?"
    )
    assert not (tmp_path / "runs").exists()
