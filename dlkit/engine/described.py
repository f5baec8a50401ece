"""A batch of predictions as its task describes them (`Task.describe_rows`), kept in columns: the
`--output` file reads whole columns (`cells`), the table and `--json` the few rows they show
(`row`, `shown`), so 200,000 examples need no dict each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class Described:
    """The predictions of a batch of examples, in order."""

    def __len__(self) -> int:
        raise NotImplementedError

    def row(self, i: int) -> dict[str, Any]:
        """Example `i`'s fields, as `Task.describe` gives them (what `--json` prints)."""
        raise NotImplementedError

    def shown(self, i: int) -> tuple[str, str, str]:
        """Example `i` as (prediction, probability, more), as `Task.shown` gives it."""
        raise NotImplementedError

    def cells(self, index: int) -> np.ndarray:
        """Cell `index` of `shown` for every example, as an `--output` file writes it."""
        return np.array([self.shown(i)[index] for i in range(len(self))], dtype=object)

    def take(self, indices: np.ndarray) -> Described:
        """The examples at `indices`, in their order."""
        raise NotImplementedError

    def field(self, name: str) -> Any:
        """Field `name` of `row` for every example (what a task's score reads)."""
        return [self.row(i)[name] for i in range(len(self))]


class Rows(Described):
    """A dict per example, for a task that describes one example at a time (a mask, label sets)."""

    def __init__(self, rows: list[dict[str, Any]], shown: Callable[[dict[str, Any]], tuple[str, str, str]]):
        self.rows, self._shown = rows, shown

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def shown(self, i: int) -> tuple[str, str, str]:
        return self._shown(self.rows[i])

    def cells(self, index: int) -> np.ndarray:
        """As `Described.cells`; a row's `probability` is written as the number it is."""
        if index != 1:
            return super().cells(index)
        return np.array([row.get("probability", self._shown(row)[1]) for row in self.rows], dtype=object)

    def take(self, indices: np.ndarray) -> Rows:
        return Rows([self.rows[i] for i in indices], self._shown)


def shortest_floats(values: np.ndarray) -> np.ndarray:
    """float32 numbers as the float64s with the fewest digits that read back to the same float32
    (4398.8823, not 4398.88232421875: digits the model never had)."""
    return np.asarray(values, "float32").astype(str).astype("float64")


def float_texts(values: np.ndarray) -> np.ndarray:
    """Numbers as Python writes a float (`repr`), which is how a CSV cell has always held them."""
    return np.asarray(values, "float64").astype(str).astype(object)
