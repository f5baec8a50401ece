"""`dlkit validate --dry-run`: build the task's model(s) from the config alone and describe them."""

from __future__ import annotations

import math

from dlkit.config.experiment import ExperimentConfig
from dlkit.core.backend import keras
from dlkit.engine.task import task_of


def describe_model(config: ExperimentConfig) -> dict:
    """Parameters and shapes of the model(s) the config builds, from the dataset's known input shape
    (no data is downloaded). With several models (a GAN's two networks) `params` counts them all,
    each has its own entry, and the input and output shapes are the first one's."""
    info = config.data.loader().info()
    models = task_of(config).dry_run_models(info)
    sides = {name: _counts(model) for name, model in models.items()}
    params = sum(side["params"] for side in sides.values())
    trainable = sum(side["trainable_params"] for side in sides.values())
    frozen = sum(side["frozen_params"] for side in sides.values())
    first = next(iter(models.values()))
    layers = [
        {**row, "name": row["name"] if len(models) == 1 else f"{name}/{row['name']}"}
        for name, model in models.items()
        for row in _layers(model)
    ]
    return {
        "params": params,
        "trainable_params": trainable,
        "non_trainable_params": params - trainable,
        "frozen_params": frozen,
        "input_shape": _without_batch(first.input_shape),
        "output_shape": list(first.output_shape[1:]),
        **(sides if len(models) > 1 else {}),
        "layers": layers,
        "keras": keras().__version__,
    }


def _counts(model) -> dict:
    """Frozen: weights that would train but whose layer is frozen (a backbone's), unlike batch
    normalisation's statistics, which never train."""
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(
        math.prod(w.shape)
        for layer in model._flatten_layers(include_self=False)
        if not layer.trainable
        for w in layer._trainable_variables  # its own weights that train when it does
    )
    return {"params": int(model.count_params()), "trainable_params": trainable, "frozen_params": frozen}


def _layers(model) -> list[dict]:
    return [
        {
            "name": layer.name,
            "class": type(layer).__name__,
            "output_shape": list(_output_shape(layer)),
            "params": int(layer.count_params()),
        }
        for layer in model.layers
    ]


def _without_batch(shape) -> list:
    """(None, 28, 28, 1) -> [28, 28, 1]; for several inputs (table columns), one such list each."""
    if isinstance(shape, list):
        return [_without_batch(s) for s in shape]
    return list(shape[1:])


def _output_shape(layer) -> tuple:
    shape = layer.output.shape if hasattr(layer, "output") else ()
    return tuple(shape)[1:]
