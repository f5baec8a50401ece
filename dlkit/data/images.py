"""Image files to uint8 (H, W, C) pixels. Training (streamed folders), `dlkit predict` and `dlkit
serve` decode and resize with the same functions, so a file predicts on the pixels training would
have seen: TensorFlow's decoders, as `keras.utils.image_dataset_from_directory` uses (a JPEG's
pixels differ by a few levels between decoders; the EXIF orientation is not applied, there or here).
Where TensorFlow is not installed, Pillow decodes and `dlkit.data.resize` resizes, as TensorFlow's
ops do (docs/backends.md says how closely)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from dlkit.core.backend import has_tensorflow

if TYPE_CHECKING:
    import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
_MODES = {1: "L", 3: "RGB"}
#: The formats (Pillow's names) training's decoder reads, and `read_image` decodes as it does.
_DECODED = {"PNG", "JPEG", "BMP", "GIF"}
#: Pillow's modes of a colour PNG, and the weights (of 2**15) libpng turns its R, G, B into grey with
#: for TensorFlow's decoder (`png_set_rgb_to_gray` of 0.299 and 0.587, truncated; Pillow rounds
#: 0.299, 0.587, 0.114 of 2**16, one level off on half the pixels).
_PNG_COLOUR = {"RGB", "RGBA", "P", "PA", "RGBX"}
_LIBPNG_GREY = (9797, 19234, 3737)


def antialiased(options: dict) -> bool:
    """Whether a run's images are resized with antialiasing (`data.options.antialias`): runs from
    before the option existed were, and must predict on the pixels they trained on."""
    return options.get("antialias", True)


def resize(image, height: int, width: int, antialias: bool = True):
    """Bilinear resize of an (H, W, C) image tensor (`antialias`: smoothed first, as a large
    downscale needs, at twice the cost), back to uint8 pixels. Both weigh the pixels around each
    new one with weights that are positive and sum to 1, so the result stays within 0-255 and only
    needs rounding."""
    import tensorflow as tf

    if tuple(image.shape[:2]) == (height, width):
        return tf.cast(image, tf.uint8)
    resized = tf.image.resize(image, (height, width), method="bilinear", antialias=antialias)
    return tf.cast(tf.round(resized), tf.uint8)


@dataclasses.dataclass(frozen=True)
class ImageDecoder:
    """A streamed image dataset's `decode`: a file's path to uint8 (height, width, channels)
    pixels, as a TensorFlow function (called in a tf.data map), or `pixels` (numpy, no TensorFlow)."""

    height: int
    width: int
    channels: int
    antialias: bool = True

    def __call__(self, path):
        return decode_file(path, height=self.height, width=self.width, channels=self.channels, antialias=self.antialias)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.height, self.width, self.channels

    def pixels(self, path: str) -> np.ndarray:
        return read_image(path, self.shape, self.antialias)


def decode_file(path, *, height: int, width: int, channels: int, antialias: bool = True):
    """A TensorFlow function: an image file's path to uint8 (height, width, channels)."""
    import tensorflow as tf

    return resize(decode_bytes(tf.io.read_file(path), channels), height, width, antialias)


def decode_bytes(contents, channels: int):
    """A TensorFlow function: an image file's bytes (PNG, JPEG, BMP, GIF's first frame) to uint8
    (H, W, channels)."""
    import tensorflow as tf

    def decoded():
        return tf.io.decode_image(contents, channels=channels, expand_animations=False)

    if channels == 1:  # TensorFlow decodes GIF and BMP files in colour only
        colour_only = (tf.strings.substr(contents, 0, 3) == b"GIF") | (tf.strings.substr(contents, 0, 2) == b"BM")
        image = tf.cond(colour_only, lambda: _grey(contents), decoded)
    else:
        image = decoded()
    image.set_shape([None, None, channels])
    return image


def _grey(contents):
    """A colour image file's pixels as one channel, weighed as Pillow's `convert("L")` does (so
    `read_image`, which predict uses, gives the same)."""
    import tensorflow as tf

    rgb = tf.cast(tf.io.decode_image(contents, channels=3, expand_animations=False), tf.int32)
    grey = tf.tensordot(rgb, tf.constant([19595, 38470, 7471]), 1) + 32768
    return tf.cast(tf.bitwise.right_shift(grey, 16), tf.uint8)[..., None]


def read_image(path, shape: tuple[int, int, int], antialias: bool = True) -> np.ndarray:
    """An image file (a path, or its bytes in a BytesIO) of any size and colour mode, as uint8
    pixels of `shape`, decoded as training decodes (`decode_bytes`); a format training does not
    read (WebP, TIFF sent to `dlkit serve`), and every format where TensorFlow is not installed,
    by Pillow. Pillow reads the header first, so a file declaring more pixels than it allows is
    refused before decoding. Raises OSError/ValueError (and Pillow's DecompressionBombError) for
    files that are not images."""
    import io

    from PIL import Image

    from dlkit.data.resize import resized

    height, width, channels = shape
    if channels not in _MODES:
        raise ValueError(f"cannot make {channels}-channel images from files")
    data = path.getvalue() if isinstance(path, io.BytesIO) else Path(path).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        by_tensorflow = image.format in _DECODED and has_tensorflow()
    pixels = _decoded(data, channels) if by_tensorflow else _pillow(data, channels)
    pixels = pixels.reshape(*pixels.shape[:2], channels)
    if has_tensorflow():
        return resize(pixels, height, width, antialias).numpy()
    return resized(pixels, height, width, antialias)


def _pillow(data: bytes, channels: int) -> np.ndarray:
    """A file's pixels as Pillow decodes them, in `channels`, made as TensorFlow's decoders make
    them: a 16-bit greyscale file's high bytes (Pillow's own conversion would clip), a colour PNG's
    grey as libpng weighs it, a colour JPEG's as the JPEG decoder's own luma."""
    import io

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.mode in ("I;16", "I;16B", "I"):
            grey = Image.fromarray((np.asarray(image, dtype="uint32") >> 8).astype("uint8"))
            return np.asarray(grey.convert(_MODES[channels]), dtype="uint8")
        if channels == 1 and image.format == "PNG" and image.mode in _PNG_COLOUR:
            rgb = np.asarray(image.convert("RGB"), dtype="int32")
            return ((rgb @ np.array(_LIBPNG_GREY)) >> 15).astype("uint8")
        if channels == 1 and image.format == "JPEG":
            image.draft("L", image.size)
        return np.asarray(image.convert(_MODES[channels]), dtype="uint8")


def _decoded(data: bytes, channels: int):
    """`decode_bytes` of a file's bytes; a file TensorFlow cannot decode (truncated) is a ValueError."""
    import tensorflow as tf

    try:
        return decode_bytes(tf.constant(data), channels).numpy()
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(" ".join(e.message.split())[:200]) from None


def check_image(path: Path) -> None:
    """Raise if `path` is not a readable image (header and structure checked, not decoded)."""
    from PIL import Image

    with Image.open(path) as image:
        image.verify()
