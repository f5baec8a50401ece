"""Without TensorFlow, image files decode with Pillow and resize in numpy: a PNG's pixels (also a
colour PNG read as grey) are TensorFlow's decoder's exactly, and a resize is `tf.image.resize`
bilinear's to within one level on a few pixels (the float sums round the other way), with or
without antialiasing."""

import io

import numpy as np
import pytest
from PIL import Image

from dlkit.data.images import _decoded, _pillow
from dlkit.data.resize import resized

SIZES = [((37, 23), (16, 16)), ((16, 16), (40, 30)), ((120, 90), (28, 28)), ((28, 28), (28, 14)), ((9, 64), (32, 32))]


@pytest.mark.parametrize("before, after", SIZES)
@pytest.mark.parametrize("antialias", [False, True])
def test_a_resize_is_tensorflows_bilinear_to_within_one_level(before, after, antialias):
    import tensorflow as tf

    pixels = np.random.default_rng(sum(before)).integers(0, 256, (*before, 3), dtype="uint8")
    ours = resized(pixels, *after, antialias).astype(int)
    theirs = tf.cast(tf.round(tf.image.resize(pixels, after, "bilinear", antialias=antialias)), tf.uint8).numpy()
    differ = np.abs(ours - theirs.astype(int))
    assert ours.shape == (*after, 3) and differ.max() <= 1
    assert differ.mean() < 0.01  # one pixel in a hundred, at most, a level apart


def _png(mode: str, size=(13, 17)) -> bytes:
    """Random pixels: every grey level a colour PNG's weights can make is likely among them."""
    rng = np.random.default_rng(len(mode))
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, size, dtype="uint16"))
    else:
        image = Image.fromarray(rng.integers(0, 256, (*size, 3), dtype="uint8")).convert(mode)
    file = io.BytesIO()
    image.save(file, "PNG")
    return file.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "I;16"])
@pytest.mark.parametrize("channels", [1, 3])
def test_a_png_decodes_to_tensorflows_pixels(mode, channels):
    data = _png(mode)
    np.testing.assert_array_equal(_pillow(data, channels).reshape(13, 17, channels), _decoded(data, channels))
