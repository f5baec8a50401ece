"""A tune config of the tiny digits model and its search space."""

from __future__ import annotations

from pathlib import Path

from conftest import TINY, write_config

SPACE = {
    "train.optimizer.learning_rate": {"type": "float", "low": 1e-3, "high": 3e-2, "log": True},
    "data.batch_size": {"type": "categorical", "choices": [32, 64]},
    "model.layers.0.filters": {"type": "int", "low": 4, "high": 12, "step": 4},
}


def tune_config(tmp_path: Path, **tune) -> Path:
    data = {**TINY, "train": {**TINY["train"], "epochs": 2}}
    data["tune"] = {"metric": "val_accuracy", "trials": 4, "space": SPACE, **tune}
    return write_config(tmp_path, data)
