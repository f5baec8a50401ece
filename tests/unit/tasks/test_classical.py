"""The classical baselines take awkward tables."""

import numpy as np


def test_classical_baselines_take_awkward_tables():
    """A column never filled, an infinite cell, a category unseen in training, a class of one
    example among more than 10,000 rows (HistGradientBoosting's early stopping would fail on it)."""
    from dlkit.data.splits import Split
    from dlkit.tasks.classical import fit_predict

    rng = np.random.default_rng(0)
    n = 12_000
    x = {"empty": np.full(n, np.nan, dtype="float32"), "a": rng.normal(size=n).astype("float32"),
         "c": rng.choice(["u", "v", ""], n)}  # fmt: skip
    x["a"][3] = np.inf
    y = (x["a"] > 0).astype("int64")
    y[5] = 2
    held = {"empty": x["empty"][:40], "a": x["a"][:40], "c": np.array(["w"] * 40)}
    found = fit_predict("classifier", Split(x, y), {"test": Split(held, y[:40])}, seed=1, classes=4)
    assert set(found) == {"logistic", "hist_gradient_boosting"}
    for predictions in found.values():
        assert predictions["test"].shape == (40, 4) and np.allclose(predictions["test"].sum(axis=1), 1)
    values = fit_predict("regressor", Split(x, x["a"].clip(-5, 5)), {"test": Split(held, y[:40])}, seed=1)
    assert all(np.isfinite(p["test"]).all() for p in values.values())
