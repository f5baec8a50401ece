"""Iris as a CSV and a table config naming it relative to where it is trained."""

from __future__ import annotations

from pathlib import Path


def _iris_csv(folder: Path) -> Path:
    from sklearn.datasets import load_iris

    path = folder / "iris.csv"
    load_iris(as_frame=True).frame.to_csv(path, index=False)
    return path


TABLE = {
    "name": "iris",
    "seed": 3,
    "data": {"dataset": "csv", "options": {"path": "iris.csv", "target": "target"}, "batch_size": 16},
    "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}]},
    "train": {"epochs": 1, "loss": {"type": "sparse_categorical_crossentropy", "from_logits": True}},
}
