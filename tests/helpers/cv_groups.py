"""A table of patients (breast_cancer's rows shared among 60 patients) and its grouped config."""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer


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
