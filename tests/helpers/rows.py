"""A survey table with repeated rows and its config, and ways to look at its splits."""

from pathlib import Path

import numpy as np
import pandas as pd


def survey_table(path: Path, rows: int = 600) -> Path:
    """Shaped like statsmodels' `fair` survey: a few small-integer answers and a category per
    respondent, a yes/no target; many respondents answer alike, so many rows repeat."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "rate_marriage": rng.choice([3, 4, 5], rows, p=[0.2, 0.35, 0.45]),
            "age": rng.choice([22, 27, 32, 37], rows),
            "children": rng.choice([0, 1, 2], rows, p=[0.5, 0.3, 0.2]),
            "religious": rng.choice([1, 2, 3], rows),
            "occupation": rng.choice(["clerk", "teacher", "manager"], rows, p=[0.5, 0.3, 0.2]),
        }
    )
    odds = 0.8 - 0.15 * (frame["rate_marriage"] - 3) + 0.1 * frame["children"]
    frame["affair"] = np.where(rng.random(rows) < odds / 2, "yes", "no")
    frame.to_csv(path, index=False)
    return path


def survey_config(path: Path, **options) -> dict:
    return {
        "name": "survey",
        "seed": 4,
        "task": "binary",
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "affair", **options},
            "split": {"validation": 0.15, "test": 0.2},
        },
        "model": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ]
        },
        "train": {"epochs": 1},
    }


def as_tuples(split) -> list[tuple]:
    """Each example of a split as a tuple of its cells and its label."""
    return list(zip(*(split.x[name].tolist() for name in split.x), split.y.tolist(), strict=True))


def held_out_in_train(data) -> int:
    """Validation and test rows identical to a training row, counted from the rows themselves."""
    train = set(as_tuples(data.splits.train))
    return sum(row in train for split in (data.splits.val, data.splits.test) for row in as_tuples(split))
