"""A batch of predictions as its task describes them (`Task.describe_rows`), kept in columns: the
`--output` file reads whole columns (`cells`), the table and `--json` the few rows they show
(`row`, `shown`), so 200,000 examples need no dict each. The columns of the tasks whose rows
are numbers (a value or several per example, a class with its probability and the top k) are
here too: `describe` of one example is the first row of a batch of one, so the logic exists once.
Imports NumPy: the tasks import it when they predict."""

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


class Values(Described):
    """The predicted number(s) of each example, as float32 holds them with its own digits."""

    def __init__(self, values: np.ndarray):
        #: (N, width) float64: each number with float32's own digits.
        self.values = values

    @classmethod
    def of(cls, outputs: np.ndarray) -> Values:
        """The model's outputs, one row per example."""
        outputs = np.asarray(outputs)
        return cls(shortest_floats(outputs.reshape(outputs.shape[0], -1)))

    def __len__(self) -> int:
        return len(self.values)

    def row(self, i: int) -> dict[str, Any]:
        value = self.values[i]
        return {"value": value.tolist() if value.size > 1 else float(value[0])}

    def shown(self, i: int) -> tuple[str, str, str]:
        return str(self.row(i)["value"]), "", ""

    def cells(self, index: int) -> np.ndarray:
        if index == 0 and self.values.shape[1] == 1:
            return float_texts(self.values[:, 0])
        return super().cells(index)

    def take(self, indices: np.ndarray) -> Values:
        return Values(self.values[indices])

    def field(self, name: str) -> Any:
        if name == "value":
            return self.values[:, 0] if self.values.shape[1] == 1 else self.values
        return super().field(name)


class Classes(Described):
    """Each example's most probable class, its probability, and the `top_k` most probable."""

    def __init__(self, probabilities: np.ndarray, order: np.ndarray, names: np.ndarray):
        #: (N, classes) each class's probability; (N, k) the k most probable, most first; the names.
        self.probabilities, self.order, self.names = probabilities, order, names

    @classmethod
    def of(cls, probabilities: np.ndarray, classes: list[str], top_k: int) -> Classes:
        """Each example's probability of each class (a class without a name is its index)."""
        probabilities = np.asarray(probabilities)
        order = np.argsort(-probabilities, axis=-1, kind="stable")[:, :top_k]
        width = probabilities.shape[-1]
        return cls(
            probabilities,
            order,
            np.array([classes[i] if i < len(classes) else str(i) for i in range(width)], dtype=object),
        )

    def __len__(self) -> int:
        return len(self.probabilities)

    def row(self, i: int) -> dict[str, Any]:
        probabilities, order = self.probabilities[i], self.order[i]
        return {
            "label": self.names[order[0]],
            "probability": float(probabilities[order[0]]),
            "top_k": [{"label": self.names[j], "probability": float(probabilities[j])} for j in order],
        }

    def shown(self, i: int) -> tuple[str, str, str]:
        return shown_class(self.row(i))

    def cells(self, index: int) -> np.ndarray:
        if index == 0:
            return self.field("label")
        if index == 1:
            return float_texts(np.take_along_axis(self.probabilities, self.order[:, :1], axis=-1)[:, 0])
        return super().cells(index)

    def take(self, indices: np.ndarray) -> Classes:
        return Classes(self.probabilities[indices], self.order[indices], self.names)

    def field(self, name: str) -> Any:
        return self.names[self.order[:, 0]] if name == "label" else super().field(name)


def shown_class(row: dict[str, Any]) -> tuple[str, str, str]:
    """A class row as predict's table shows it: the class, its probability, the top k."""
    return row["label"], f"{row['probability']:.4f}", shown_top(row["top_k"])


def shown_top(top_k: list[dict[str, Any]]) -> str:
    """`b 0.700, c 0.200`: the most probable labels with their probabilities."""
    return ", ".join(f"{t['label']} {t['probability']:.3f}" for t in top_k)
