"""A table run trained from a data file named relative to where it was trained: a copy whose data is
elsewhere says how to point at it, and plain Keras loads its model.keras as the README says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write_config
from helpers.iris import TABLE, _iris_csv


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """A finished table run trained from a data file named relative to where it was trained."""
    from typer.testing import CliRunner

    from dlkit.cli import app

    folder = tmp_path_factory.mktemp("table")
    _iris_csv(folder)
    config = write_config(folder, TABLE)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, ["train", str(config), "--runs-dir", str(folder / "runs"), "-q"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_a_copied_run_whose_data_is_elsewhere_says_how_to_point_at_it(table_run, tmp_path, cli, monkeypatch):
    copy = tmp_path / "colleague" / table_run.name
    shutil.copytree(table_run, copy)
    monkeypatch.chdir(tmp_path)  # iris.csv is not here
    result = cli("eval", copy)
    assert result.exit_code == 1
    assert "data.options.path: no such file: iris.csv" in result.stderr
    assert "--set data.options.path=PATH" in result.stderr
    data = table_run.parent.parent / "iris.csv"
    assert cli("eval", copy, "--set", f"data.options.path={data}").exit_code == 0


def test_plain_keras_loads_a_table_run_as_the_readme_says(table_run):
    readme = (REPO / "README.md").read_text()
    assert "import dlkit.layers.custom" in readme
    code = (
        "import keras, dlkit.layers.custom, sys\n"
        f"model = keras.saving.load_model({str(table_run / 'model.keras')!r})\n"
        "print(len(model.inputs))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "4"
