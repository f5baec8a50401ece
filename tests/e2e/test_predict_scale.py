"""`dlkit predict` on many rows (issue 30): a CSV file is read, predicted and written a chunk at a
time, giving the rows, file, score, unseen report and errors of one pass over the whole file; the
table shows the first rows and a count (every row with --all, none on a pipe with --output)."""

from __future__ import annotations

import json

import pytest

from dlkit.cli.predict import HEAD
from helpers.runs import _table


def _rows(path, n: int, seed: int = 5):
    """`n` rows of the session's table (its target `bought` and `score` left in), two cities
    never seen in training far apart, a bad number in the last rows."""
    frame = _table(n, seed=seed).astype({"city": object, "income": object})
    frame.loc[3, "city"], frame.loc[n - 8, "city"] = "rome", "oslo"
    frame.loc[n - 4, "income"] = "abc"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("run", ["table_run", "regression_run"])
def test_chunks_give_the_rows_score_and_reports_of_one_pass(run, request, cli, tmp_path, monkeypatch):
    """Chunks of 256 rows (a multiple of the model's batches, as the default is): the same numbers
    to the last bit as one pass."""
    run_dir = request.getfixturevalue(run)
    rows = _rows(tmp_path / "rows.csv", 600)
    results = {}
    for chunk in (1000, 256):
        monkeypatch.setattr("dlkit.predict.inputs.CHUNK_ROWS", chunk)
        output = tmp_path / f"out{chunk}.csv"
        result = cli("predict", rows, "--run", run_dir, "--json", "--output", output)
        assert result.exit_code == 1, result.stderr  # the bad number
        results[chunk] = (json.loads(result.stdout)["predictions"], output.read_text(), result.stderr)
    assert results[256] == results[1000]
    predictions, text, stderr = results[256]
    assert len(predictions) == 600 and len(text.splitlines()) == 601 and not list(tmp_path.glob(".out*"))
    assert f"dlkit: error: {rows}:598: column 'income': 'abc' is not a number" in stderr.splitlines()
    assert stderr.count("dlkit: error:") == 1 and "present: " in stderr and " on 599 rows" in stderr
    if run == "table_run":
        assert "dlkit: warning: city: 2 rows with values not seen in training ('rome', 'oslo')" in stderr


def test_the_table_shows_the_first_rows_and_a_count(table_run, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short inputs, which the table does not wrap
    rows = _rows(tmp_path / "rows.csv", 45).name
    shown = cli("predict", rows, "--run", table_run)
    lines = shown.stdout.splitlines()
    assert sum(f"rows.csv:{i}" in shown.stdout for i in range(2, 47)) == HEAD
    assert (
        lines[-1]
        == "the first 20 of 45 predictions (1 could not be made); --output FILE writes them all, --all prints them"
    )
    every = cli("predict", rows, "--run", table_run, "--all").stdout
    assert sum(f"rows.csv:{i} " in every for i in range(2, 47)) == 45 and "the first" not in every
    (tmp_path / "few.csv").write_text("".join((tmp_path / rows).read_text().splitlines(keepends=True)[:13]))
    few = cli("predict", "few.csv", "--run", table_run)
    assert sum(line.startswith("│") for line in few.stdout.splitlines()) == 12 and "the first" not in few.stdout


def test_a_pipe_with_output_gets_no_table(table_run, cli, tmp_path, monkeypatch):
    """CliRunner's stdout is no terminal: the rows go to the file, a count to stderr; --all prints
    them too."""
    monkeypatch.chdir(tmp_path)  # short inputs, which the table does not wrap
    rows = _rows(tmp_path / "rows.csv", 45)
    result = cli("predict", rows, "--run", table_run, "--output", tmp_path / "out.csv")
    assert result.exit_code == 1 and result.stdout == ""
    assert f"dlkit: 45 predictions (1 could not be made) written to {tmp_path / 'out.csv'}" in result.stderr
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 46
    asked = cli("predict", rows.name, "--run", table_run, "--output", tmp_path / "again.csv", "--all")
    assert sum(f"rows.csv:{i} " in asked.stdout for i in range(2, 47)) == 45 and "the first" not in asked.stdout

    def rows_of(name):  # the inputs are named as given: absolute once, relative once
        return [line.split(",", 1)[1] for line in (tmp_path / name).read_text().splitlines()]

    assert rows_of("again.csv") == rows_of("out.csv")
