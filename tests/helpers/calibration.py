"""Calibrated configs and the model loader the calibration tests share."""

from __future__ import annotations

import keras

from conftest import TINY

CALIBRATED = {**TINY, "name": "calibrated", "eval": {"calibrate": "temperature"}}

#: Logistic regression on breast_cancer giving logits (the loss takes them).
BINARY_LOGITS = {
    **TINY,
    "name": "binary_logits",
    "task": "binary",
    "data": {
        "dataset": "breast_cancer",
        "split": {"validation": 0.2, "test": 0.2},
        "preprocess": [{"type": "normalize"}],
        "batch_size": 32,
    },
    "model": {"layers": [{"type": "dense", "units": 1}]},
    "train": {**TINY["train"], "loss": {"type": "binary_crossentropy", "from_logits": True}},
    "eval": {"calibrate": "temperature"},
}


def _load(path):
    return keras.saving.load_model(path, safe_mode=True, compile=False)
