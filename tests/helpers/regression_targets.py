"""Regression configs and a yearly series."""

import json
from pathlib import Path

import numpy as np

REGRESSION = {
    "name": "scaled",
    "seed": 3,
    "task": "regression",
    "data": {"dataset": "npz", "options": {"kind": "array"}, "split": {"validation": "test"}, "batch_size": 16},
    "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 2}]},
    "train": {"epochs": 2, "optimizer": {"type": "adam", "learning_rate": 0.01}},
}


def yearly_series(path: Path, steps: int = 600, seed: int = 0) -> Path:
    """A sunspot-like yearly series in the hundreds: an 11-step cycle whose amplitude drifts, a
    slow trend and noise (sd 8), never below 0; column `value`."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    amplitude = 60 + 25 * np.sin(2 * np.pi * t / 97)
    value = np.maximum(90 + 0.05 * t + amplitude * np.sin(2 * np.pi * t / 11) + rng.normal(0, 8, steps), 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("value\n" + "\n".join(f"{v:.2f}" for v in value) + "\n")
    return path


def _two_targets(tmp_path) -> dict:
    """Rows whose first target is in the hundreds and whose second is constant (std 1 then)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(160, 3)).astype("float32")
    y = np.stack([200 + 50 * x[:, 0] - 20 * x[:, 1], np.full(160, 7.0)], axis=1).astype("float32")
    np.savez(tmp_path / "d.npz", x_train=x[:120], y_train=y[:120], x_test=x[120:], y_test=y[120:])
    config = json.loads(json.dumps(REGRESSION))
    config["data"]["options"]["path"] = str(tmp_path / "d.npz")
    return config
