"""The line under predict's bounded table counts the rows as the rest of dlkit writes numbers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from dlkit.cli.predict import _summary


def test_the_count_under_the_table_writes_thousands_as_the_rest_of_dlkit():
    result = SimpleNamespace(rows=[{}] * 20, total=200_000, errors=[{}] * 1_234)
    assert _summary(result, None) == (
        "the first 20 of 200,000 predictions (1,234 could not be made); "
        "--output FILE writes them all, --all prints them"
    )
    assert _summary(result, Path("preds.csv")).endswith("; all of them are in preds.csv")
