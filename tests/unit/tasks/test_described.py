"""A task's batch of predictions in columns (`describe_rows`) says what `describe` and `shown`
say of each example, and writes the `--output` cells as a row at a time always did."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TINY
from dlkit.config.loader import parse_config
from dlkit.engine.task import task_of

CLASSES = ["cat", "dog", "eel"]


def _task(**changes):
    return task_of(parse_config({**TINY, **changes}))


@pytest.mark.parametrize("task", ["classification", "binary", "regression"])
def test_columns_are_the_rows_of_one_example_at_a_time(task):
    rng = np.random.default_rng(0)
    width = {"classification": 3, "binary": 1, "regression": 1}[task]
    outputs = rng.random((50, width)).astype("float32") * (10.0 ** rng.integers(-6, 9, (50, 1)))
    if task == "classification":
        outputs /= outputs.sum(1, keepdims=True)
    if task == "binary":
        outputs = np.clip(outputs, 0, 1)
    the_task = _task(task=task, data={**TINY["data"], "dataset": "diabetes"} if task == "regression" else TINY["data"])
    described = the_task.describe_rows(outputs, CLASSES[:2] if task == "binary" else CLASSES, 2)
    rows = [the_task.describe(o, CLASSES[:2] if task == "binary" else CLASSES, 2) for o in outputs]
    assert [described.row(i) for i in range(50)] == rows
    assert [described.shown(i) for i in range(50)] == [the_task.shown(row) for row in rows]
    cell = (lambda row: row["probability"]) if task != "regression" else (lambda row: row["value"])
    assert described.cells(1 if task != "regression" else 0).tolist() == [repr(cell(row)) for row in rows]
    assert described.take(np.array([4, 2])).row(1) == rows[2]
