"""A messy table (blanks, categories, duplicates) and its config."""

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer


def messy_table(path, rows=300):
    """breast_cancer as a user's CSV: spaced names, a category, string labels, gaps, duplicates."""
    frame = load_breast_cancer(as_frame=True).frame.iloc[:rows, [0, 1, 2, 3, 20, 21, 22, 27, 30]].copy()
    frame.columns = [f" {c.title()} " for c in frame.columns[:-1]] + ["Diagnosis"]
    frame["Diagnosis"] = np.where(frame["Diagnosis"] == 1, "benign", "malignant")
    frame["Clinic"] = np.where(np.arange(len(frame)) % 3 == 0, "north", "south")
    frame.iloc[3, 0] = np.nan
    frame.iloc[7, -1] = np.nan
    frame = pd.concat([frame, frame.iloc[:5]])  # duplicate rows
    frame.to_csv(path, index=False)
    return path


def table_config(path, **options):
    return {
        "name": "table",
        "seed": 3,
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "diagnosis", **options},
            "batch_size": 32,
        },
        "model": {
            "layers": [
                {"type": "dense", "units": 16, "activation": "relu"},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ]
        },
        "train": {"epochs": 8, "optimizer": {"type": "adam", "learning_rate": 0.01}},
    }
