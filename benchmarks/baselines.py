"""What the classical baselines of a table's run cost (`eval.baselines`, `dlkit.tasks.classical`).

What it measures
  A synthetic table like a CSV's columns as dlkit loads them: 8 numeric columns (one with 5% missing
  cells), a category of 300 values and one of 3 values with blanks; a binary label and a numeric
  target that depend on two of them. For each training size, `fit_predict` (what every run on a
  table calls once at its end) fits logistic regression and HistGradientBoosting (classes) or ridge
  and HistGradientBoosting (numbers) on the training rows (a seeded sample of 50,000 at most) and
  predicts a validation and a test split of 12,500 rows each. Reported: wall-clock and CPU seconds,
  and the test accuracy or R2 of each model (the models do learn).

Run (under a minute on 2 busy CPU cores):
    .venv/bin/python benchmarks/baselines.py
    .venv/bin/python benchmarks/baselines.py --rows 50000 200000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def table(rng, n: int) -> tuple[dict, np.ndarray]:
    x = {f"n{i}": rng.normal(size=n).astype("float32") for i in range(8)}
    x["n0"][rng.random(n) < 0.05] = np.nan
    x["city"] = rng.choice([f"c{i}" for i in range(300)], n).astype(str)
    x["kind"] = rng.choice(["a", "b", "c", ""], n).astype(str)
    signal = x["n1"] + (x["kind"] == "a") + 0.5 * rng.normal(size=n)
    return x, signal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 200_000], help="training rows")
    args = parser.parse_args()
    import sklearn.ensemble  # noqa: F401  (imported once, not timed: a run imports it once too)

    from dlkit.data.splits import Split
    from dlkit.tasks.classical import fit_predict

    rng = np.random.default_rng(0)
    held, held_signal = table(rng, 12_500)
    print(f"{'rows':>8} {'models':<32} {'wall s':>7} {'cpu s':>6}  test figures")
    for rows in args.rows:
        x, signal = table(rng, rows)
        for kind, y, y_held in (
            ("classifier", (signal > 0.5).astype("int64"), (held_signal > 0.5).astype("int64")),
            ("regressor", signal.astype("float32"), held_signal.astype("float32")),
        ):
            splits = {"val": Split(held, y_held), "test": Split(held, y_held)}
            wall, cpu = time.perf_counter(), time.process_time()
            found = fit_predict(kind, Split(x, y), splits, seed=42, classes=2)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if kind == "classifier":
                shown = {name: f"accuracy {np.mean(p['test'].argmax(1) == y_held):.3f}" for name, p in found.items()}
            else:
                variance = np.var(y_held)
                shown = {
                    name: f"r2 {1 - np.mean((p['test'][:, 0] - y_held) ** 2) / variance:.3f}"
                    for name, p in found.items()
                }
            names = " + ".join(found)
            print(
                f"{rows:>8,} {names:<32} {wall:>7.1f} {cpu:>6.1f}  " + ", ".join(f"{k} {v}" for k, v in shown.items())
            )


if __name__ == "__main__":
    main()
