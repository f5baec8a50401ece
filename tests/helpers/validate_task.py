"""Data whose labels fit one task and not another: penguins, shapes, ratings."""

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris


def penguins(folder):
    """Measurements and a species name per animal, as in the penguins table."""
    frame = load_iris(as_frame=True).frame
    frame["species"] = np.array(["Adelie", "Chinstrap", "Gentoo"])[frame.pop("target")]
    frame.to_csv(folder / "penguins.csv", index=False)
    config = {
        "name": "penguins",
        "task": "regression",
        "data": {"dataset": "csv", "options": {"path": str(folder / "penguins.csv"), "target": "species"}},
        "model": {"layers": [{"type": "dense", "units": 1}]},
    }
    message = (
        "data.options.target: column 'species' holds text ('Adelie', ...); task 'regression' needs numbers: "
        "set task: classification"
    )
    return config, message


def ratings(folder):
    """Average ratings (floats with fractions), and no `task:` (so classification, the default)."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"price": rng.normal(20, 5, 150).round(2), "stars": rng.uniform(1, 5, 150).round(2)})
    frame.to_csv(folder / "ratings.csv", index=False)
    config = {
        "name": "ratings",
        "data": {"dataset": "csv", "options": {"path": str(folder / "ratings.csv"), "target": "stars"}},
        "model": {"layers": [{"type": "dense", "units": 1}]},
    }
    distinct, smallest_fraction = frame["stars"].nunique(), frame["stars"][frame["stars"] % 1 != 0].min()
    message = (
        f"data.options.target: column 'stars' holds numbers with fractions ({distinct} distinct, e.g. "
        f"{smallest_fraction:g}); task 'classification' (the default) needs class labels (integers or names): "
        "set task: regression"
    )
    return config, message
