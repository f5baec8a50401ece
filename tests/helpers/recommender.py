"""Rating tables for the recommender and a table whose columns are graph inputs."""

from pathlib import Path

import numpy as np
import pandas as pd

from conftest import TINY, write_config


def make_ratings(folder: Path, users=300, items=200, per_user=40, factors=4, seed=0) -> tuple[Path, Path]:
    """Train and test CSVs (80/20) of user_id,item_id,rating with integer ids from 1: 3.5 + a user
    bias + an item bias + the dot product of 4 latent factors each + noise of std 0.3."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(0, 0.6, (users, factors)), rng.normal(0, 0.6, (items, factors))
    user_bias, item_bias = rng.normal(0, 0.5, users), rng.normal(0, 0.5, items)
    user = np.repeat(np.arange(users), per_user)
    item = np.concatenate([rng.choice(items, per_user, replace=False) for _ in range(users)])
    rating = 3.5 + user_bias[user] + item_bias[item] + (u[user] * v[item]).sum(1) + rng.normal(0, 0.3, len(user))
    frame = pd.DataFrame({"user_id": user + 1, "item_id": item + 1, "rating": rating.round(2)})
    frame = frame.iloc[rng.permutation(len(frame))]
    cut = int(0.8 * len(frame))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ratings.csv", folder / "ratings_test.csv"
    frame.iloc[:cut].to_csv(paths[0], index=False)
    frame.iloc[cut:].to_csv(paths[1], index=False)
    return paths


def _table(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "y": rng.normal(0, 1, n),
        }
    )
    frame.to_csv(folder / "table.csv", index=False)
    return folder / "table.csv"


def _table_config(folder: Path, layers: list, **options) -> Path:
    data = {"dataset": "csv", "options": {"path": str(_table(folder)), "target": "y", **options}}
    return write_config(folder, {**TINY, "task": "regression", "data": data, "model": {"layers": layers}})
