"""`dlkit generate`: samples from a GAN run's generator, the same for the same seed. Imports
Keras: load it lazily."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlkit.config.experiment import ExperimentConfig
from dlkit.core.runs import atomic_write
from dlkit.model.saved import load_run_model
from dlkit.tasks.gan.pixels import grid_png, latent_batch, to_pixels


def draw(config: ExperimentConfig, generator, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(latent vectors, the generator's raw output, uint8 images) for `n` samples of `seed`."""
    latent = latent_batch(n, config.model.latent_dim, seed)
    samples = np.asarray(generator.predict(latent, batch_size=256, verbose=0), dtype="float32")
    raw_shape = config.data.loader().info().shape
    return latent, samples, to_pixels(samples, config.data.preprocess, raw_shape)


def generate(run_dir: Path, config: ExperimentConfig, n: int, seed: int, out: Path, npz: Path | None = None) -> dict:
    """Write a grid of `n` samples to `out` (PNG, pixels mapped back to 0-255 by undoing the
    rescale steps), and with `npz` the arrays: `samples` (the generator's raw output, on the
    scale `data.preprocess` leaves images, e.g. [-1, 1]), `images` (uint8) and `latent`."""
    latent, samples, images = draw(config, load_run_model(run_dir), n, seed)
    for path in (out, npz):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, grid_png(images))
    if npz is not None:
        import io

        buffer = io.BytesIO()
        np.savez(buffer, samples=samples, images=images, latent=latent, seed=np.int64(seed))
        atomic_write(npz, buffer.getvalue())
    return {"samples": n, "seed": seed, "shape": list(images.shape[1:]), "out": str(out), "npz": npz and str(npz)}
