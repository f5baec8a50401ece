"""Reading images: antialiasing changes the pixels of a downscale."""

import numpy as np
from PIL import Image

from dlkit.data.images import read_image


def test_antialias_changes_the_pixels_of_a_downscale(tmp_path):
    """The option matters: downscaling noise 4x, smoothing first averages it away; plain bilinear
    interpolates between 2x2 pixels and keeps most of it, as Keras's loader does."""
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype="uint8")
    Image.fromarray(noise).save(tmp_path / "noise.png")
    smooth, sharp = (read_image(tmp_path / "noise.png", (16, 16, 3), antialias) for antialias in (True, False))
    assert smooth.std() < 0.6 * sharp.std()
