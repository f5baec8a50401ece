"""Rating tables (user id, item id, rating) and their regression config."""

import numpy as np
import pandas as pd


def ratings(n, seed=0):
    """Ratings (1-5, one decimal) of items 101..120 by users 1..30: a user bias and an item bias."""
    rng = np.random.default_rng(seed)
    user_bias, item_bias = rng.normal(0, 0.8, 31), rng.normal(0, 0.8, 121)
    users, items = rng.integers(1, 31, n), rng.integers(101, 121, n)
    rating = np.clip(3.0 + user_bias[users] + item_bias[items] + rng.normal(0, 0.2, n), 1, 5).round(1)
    return pd.DataFrame({"user_id": users, "item_id": items, "rating": rating})


def ratings_config(path):
    return {
        "name": "ratings",
        "seed": 5,
        "task": "regression",
        "data": {
            "dataset": "csv",
            "options": {
                "path": str(path),
                "target": "rating",
                "categorical": ["user_id", "item_id"],
                "categorical_encoding": "embedding",
                "embedding_dim": 4,
            },
            "batch_size": 64,
        },
        "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 1}]},
        "train": {"epochs": 8, "optimizer": {"type": "adam", "learning_rate": 0.02}, "loss": "mse", "metrics": ["mae"]},
    }
