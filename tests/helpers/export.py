"""A table of incomes and ages with blanks, a city and a shop id as categories, a yes/no target
and a numeric score; its classification and regression configs."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """Incomes and ages with blanks, a city (text) and a shop id (integers) as categories, a
    yes/no target and a numeric score."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50, 15, n).round(2),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "shop": rng.integers(1, 20, n),
        }
    )
    nice = (frame.city == "nice") * 20
    frame["bought"] = np.where(frame.income + nice + rng.normal(0, 5, n) > 60, "yes", "no")
    frame["score"] = (frame.income * 0.5 + frame.age * 0.2 + rng.normal(0, 1, n)).round(3)
    frame.loc[rng.choice(n, 30, replace=False), "income"] = np.nan
    frame.loc[rng.choice(n, 20, replace=False), "city"] = None
    return frame


def _table_config(path, target, task, columns):
    return {
        "name": f"{task}_table",
        "seed": 3,
        "task": task,
        "data": {"dataset": "csv", "options": {"path": str(path), "target": target, "missing": "mean", **columns},
                 "split": {"validation": 0.15, "test": 0.2}},
        "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"},
                             {"type": "dense", "units": 2 if task == "classification" else 1,
                              "activation": "softmax" if task == "classification" else None}]},
        "train": {"epochs": 4, "optimizer": {"type": "adam", "learning_rate": 0.01}},
    }  # fmt: skip
