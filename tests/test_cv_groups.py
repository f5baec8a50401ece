"""`data.split.group`: a table's groups stay whole in the test and validation holdouts and in
cross-validation folds; the group column is no model input; an unknown column is one line."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from conftest import write_config
from dlkit.config.loader import parse_config
from dlkit.engine.prepare import prepare_data


def patients_table(path: Path) -> Path:
    """breast_cancer's first columns, the rows shared among 60 patients (a few rows each)."""
    frame = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 30]].copy()
    frame["patient"] = [f"p{i}" for i in np.random.default_rng(0).integers(0, 60, len(frame))]
    frame.to_csv(path, index=False)
    return path


def grouped_config(path: Path, **split) -> dict:
    return {
        "name": "grouped",
        "seed": 5,
        "task": "binary",
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "target"},
            "split": {"validation": 0.2, "test": 0.2, "group": "patient", **split},
        },
        "model": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ]
        },
        "train": {"epochs": 1},
    }


def _patients(split) -> set:
    return set(split.groups.tolist())


def test_holdouts_and_folds_keep_each_group_whole(tmp_path):
    path = patients_table(tmp_path / "t.csv")
    data = prepare_data(parse_config(grouped_config(path)))
    train, val, test = (_patients(s) for s in (data.splits.train, data.splits.val, data.splits.test))
    assert train and val and test and not (train & val or train & test or val & test)
    assert "patient" not in data.splits.train.x and "patient" not in data.about.feature_names
    pool = train | val
    seen = set()
    for fold in (1, 2, 3):
        folded = prepare_data(parse_config(grouped_config(path, folds=3, fold=fold)))
        assert _patients(folded.splits.test) == test
        fold_train, fold_val = _patients(folded.splits.train), _patients(folded.splits.val)
        assert not fold_train & fold_val and fold_train | fold_val == pool
        seen |= fold_val
    assert seen == pool  # each group validates in one fold


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
