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


def _photo(path, orientation: int | None = None) -> None:
    """A JPEG of smooth colours and noise, tagged with an EXIF orientation (6: turned 90 degrees)."""
    rng = np.random.default_rng(2)
    ramp = np.linspace(0, 255, 40 * 24 * 3).reshape(40, 24, 3)
    pixels = np.clip(ramp + rng.normal(0, 30, ramp.shape), 0, 255).astype("uint8")
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, quality=80, exif=exif)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("orientation", [None, 6])
def test_a_jpeg_predicts_on_the_pixels_training_decoded(tmp_path, channels, orientation):
    """Pillow's JPEG decoder differs from TensorFlow's by a few levels, and predict turned a
    photo by its EXIF orientation where training does not: the two read the same pixels now."""
    from dlkit.data.images import decode_file

    _photo(tmp_path / "photo.jpg", orientation)
    for size in ((40, 24), (20, 16)):
        trained = decode_file(str(tmp_path / "photo.jpg"), height=size[0], width=size[1], channels=channels).numpy()
        assert np.array_equal(read_image(tmp_path / "photo.jpg", (*size, channels)), trained)


def test_formats_training_does_not_read_are_still_read_and_broken_files_refused(tmp_path):
    """`dlkit serve` takes any image Pillow reads (a WebP here); a truncated JPEG is a ValueError."""
    import io

    colours = np.random.default_rng(3).integers(0, 256, (12, 10, 3), dtype="uint8")
    Image.fromarray(colours).save(tmp_path / "c.webp", lossless=True)
    assert np.array_equal(read_image(io.BytesIO((tmp_path / "c.webp").read_bytes()), (12, 10, 3)), colours)
    _photo(tmp_path / "photo.jpg")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "photo.jpg").read_bytes()[:400])
    with pytest.raises((OSError, ValueError)):
        read_image(tmp_path / "cut.jpg", (40, 24, 3))
