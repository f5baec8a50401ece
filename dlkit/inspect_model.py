"""`dlkit validate --dry-run`: build the model from the config alone and describe it."""

from __future__ import annotations

import math

from dlkit.backend import keras
from dlkit.config import ExperimentConfig
from dlkit.model import build_model, check_output


def describe_model(config: ExperimentConfig) -> dict:
    """Parameters and shapes of the model the config builds, from the dataset's known input shape
    (no data is downloaded)."""
    info = config.data.loader().info()
    model = build_model(config, config.data.loader().model_input(info.shape), info.kind)
    if config.task != "classification" or info.class_names:
        check_output(model, config, info.class_names or [])
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return {
        "params": int(model.count_params()),
        "trainable_params": trainable,
        "non_trainable_params": int(model.count_params()) - trainable,
        "input_shape": _without_batch(model.input_shape),
        "output_shape": list(model.output_shape[1:]),
        "layers": [
            {
                "name": layer.name,
                "class": type(layer).__name__,
                "output_shape": list(_output_shape(layer)),
                "params": int(layer.count_params()),
            }
            for layer in model.layers
        ],
        "keras": keras().__version__,
    }


def _without_batch(shape) -> list:
    """(None, 28, 28, 1) -> [28, 28, 1]; for several inputs (table columns), one such list each."""
    if isinstance(shape, list):
        return [_without_batch(s) for s in shape]
    return list(shape[1:])


def _output_shape(layer) -> tuple:
    shape = layer.output.shape if hasattr(layer, "output") else ()
    return tuple(shape)[1:]
