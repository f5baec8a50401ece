"""The two networks of a GAN from the config, checked against the data before any training:
the generator must make images of the shape the discriminator takes, which is the data's shape
after `data.preprocess` (the discriminator sees preprocessed real images, and the generator
learns to emit images on that scale)."""

from __future__ import annotations

from dlkit.config.experiment import ExperimentConfig
from dlkit.core.backend import keras
from dlkit.core.errors import ConfigError
from dlkit.model.build import apply_layers, check_size, preprocess


def build_networks(config: ExperimentConfig, raw_shape: tuple[int, ...], kind: str):
    """(preprocessing model, generator, discriminator) for images of `raw_shape`."""
    k = keras()
    if kind != "image":
        raise ConfigError(f"task: gan needs image data, but {config.data.dataset} gives {kind} data")
    inputs, x = preprocess(config, config.data.loader().model_input(raw_shape), kind)
    pixels = k.Model(inputs, x, name="preprocess")
    shape = tuple(x.shape[1:])

    latent = k.Input(shape=(config.model.latent_dim,), name="latent")
    image = k.Input(shape=shape, name="image")
    check_size(
        config,
        [
            ("model.generator", config.model.generator, latent),
            ("model.discriminator", config.model.discriminator, image),
        ],
    )
    generator = k.Model(latent, apply_layers(config.model.generator, latent, "model.generator"), name="generator")
    made = tuple(generator.output_shape[1:])
    if made != shape:
        raise ConfigError(
            f"model.generator.layers.{len(config.model.generator.layers) - 1}: the generator makes images of "
            f"shape {made}, but {config.data.dataset} images are {shape} after data.preprocess; "
            f"make the last layers give {shape}"
        )

    discriminator = k.Model(
        image, apply_layers(config.model.discriminator, image, "model.discriminator"), name="discriminator"
    )
    if tuple(discriminator.output_shape[1:]) != (1,):
        raise ConfigError(
            f"model.discriminator.layers.{len(config.model.discriminator.layers) - 1}: the discriminator gives "
            f"{tuple(discriminator.output_shape[1:])} per image, but must give one logit; end with "
            "{type: dense, units: 1} and no activation"
        )
    return pixels, generator, discriminator
