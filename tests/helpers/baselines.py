"""Tables and configs for the baselines' tests."""

from pathlib import Path

import numpy as np


def _table(path: Path, frame: dict) -> Path:
    import pandas as pd

    pd.DataFrame(frame).to_csv(path, index=False)
    return path


def _noise_table(path: Path) -> Path:
    """Features independent of a 70/30 label: nothing to learn."""
    rng = np.random.default_rng(0)
    label = rng.permutation(np.array(["no"] * 280 + ["yes"] * 120))
    return _table(path, {"a": rng.normal(size=400), "b": rng.normal(size=400), "colour": rng.choice(["r", "g"], 400),
                         "label": label})  # fmt: skip


def _config(name: str, task: str, options: dict, units: int = 1, activation: str | None = "sigmoid") -> dict:
    split = {"validation": 0.2, "test": 0.25, **({"ordered": True} if options.get("window") else {})}
    layers = [
        *(["flatten"] if options.get("window") else []),
        {"type": "dense", "units": units, "activation": activation},
    ]
    return {
        "name": name,
        "seed": 3,
        "task": task,
        "data": {"dataset": options.pop("dataset", "csv"), "options": options, "split": split, "batch_size": 32},
        "model": {"layers": layers},
        "train": {"epochs": 1},
    }
