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
    if config.task == "gan":
        return _describe_gan(config, info)
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
        "layers": _layers(model),
        "keras": keras().__version__,
    }


def _describe_gan(config: ExperimentConfig, info) -> dict:
    """Both networks: `params` counts them together; `input_shape` is the latent vector's,
    `output_shape` the generated image's (as `data.preprocess` leaves the data)."""
    from dlkit.gan.build import build_networks

    _, generator, discriminator = build_networks(config, info.shape, info.kind)
    sides = {}
    for model in (generator, discriminator):
        trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
        sides[model.name] = {"params": int(model.count_params()), "trainable_params": trainable}
    params = sum(side["params"] for side in sides.values())
    trainable = sum(side["trainable_params"] for side in sides.values())
    return {
        "params": params,
        "trainable_params": trainable,
        "non_trainable_params": params - trainable,
        "input_shape": _without_batch(generator.input_shape),
        "output_shape": list(generator.output_shape[1:]),
        **sides,
        "layers": [
            {**row, "name": f"{model.name}/{row['name']}"}
            for model in (generator, discriminator)
            for row in _layers(model)
        ],
        "keras": keras().__version__,
    }


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
