"""The columns of a batch of predictions for the tasks whose rows are numbers: a value (or
several) per example, a class with its probability and the top k. `describe` of one example is
the first row of a batch of one, so the logic exists once."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlkit.engine.described import Described, float_texts, shortest_floats


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
