"""A generated regression table whose target is a step function of a numeric column: what numeric
embeddings are for. Columns: `x` (uniform 0-10, a few blanks), `z` (normal), `k` (four values), `flat`
(one value), `shop` (six categories) and the target `y`."""

from pathlib import Path

import numpy as np
import pandas as pd


def numeric_table(path: Path, rows: int = 400, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, rows)
    frame = pd.DataFrame(
        {
            "x": x.round(3),
            "z": rng.normal(5, 2, rows).round(3),
            "k": rng.integers(0, 4, rows),
            "flat": np.full(rows, 7.0),
            "shop": rng.choice([f"s{i}" for i in range(6)], rows),
        }
    )
    frame["y"] = (3 * (np.floor(x) % 2) + 0.5 * frame["k"] + rng.normal(0, 0.2, rows)).round(3)
    frame.loc[rng.choice(rows, rows // 20, replace=False), "x"] = np.nan
    frame.to_csv(path, index=False)
    return path


def numeric_config(path: Path, **options) -> dict:
    return {
        "name": "numeric",
        "seed": 1,
        "task": "regression",
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "y", "missing": "median", **options},
            "split": {"validation": 0.2, "test": 0.2},
            "batch_size": 32,
        },
        "model": {"layers": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 1}]},
        "train": {"epochs": 2, "optimizer": {"type": "adam", "learning_rate": 0.003}},
    }
