"""Reading images: antialiasing changes the pixels of a downscale; GIF and BMP files decode to
one channel as predict reads them."""

import numpy as np
import pytest
from PIL import Image

from dlkit.data.images import read_image


def test_antialias_changes_the_pixels_of_a_downscale(tmp_path):
    """The option matters: downscaling noise 4x, smoothing first averages it away; plain bilinear
    interpolates between 2x2 pixels and keeps most of it, as Keras's loader does."""
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype="uint8")
    Image.fromarray(noise).save(tmp_path / "noise.png")
    smooth, sharp = (read_image(tmp_path / "noise.png", (16, 16, 3), antialias) for antialias in (True, False))
    assert smooth.std() < 0.6 * sharp.std()


@pytest.mark.parametrize("suffix", [".gif", ".bmp"])
def test_gif_and_bmp_files_decode_to_one_channel_as_predict_reads_them(tmp_path, suffix):
    """TensorFlow decodes these formats in colour only: a grayscale folder of them trains on the
    pixels predict's reader gives."""
    from dlkit.data.images import decode_file

    colours = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype="uint8")
    Image.fromarray(colours).save(tmp_path / f"colours{suffix}")
    path = str(tmp_path / f"colours{suffix}")
    for size in ((20, 30), (10, 12)):
        decoded = decode_file(path, height=size[0], width=size[1], channels=1, antialias=False).numpy()
        np.testing.assert_array_equal(decoded, read_image(tmp_path / f"colours{suffix}", (*size, 1), False))
