"""Augmentation of an image and its mask together (`segmentation_folder`'s `options.augment`): each
geometric step (flip, rotation by 90 degrees, crop, zoom) moves both the same way, the image
resampled bilinearly and the mask to nearest neighbours (no new class ids); the photometric steps
(brightness, contrast) change the image only. It works on whole training batches in the input
pipeline, each example drawn its own transform from a stateless seed, so a run is repeatable."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dlkit.core.strict import Strict


class PairedAugment(Strict):
    """Random transforms applied to each training image and its mask alike (not to validation or test)."""

    flip: list[Literal["horizontal", "vertical"]] = []
    """Mirror left-right (horizontal) and/or top-bottom (vertical), each with probability 1/2."""
    rot90: bool = False
    """Rotate by 0, 90, 180 or 270 degrees (square image_size only)."""
    crop: float | None = Field(None, gt=0, le=1)
    """Cut a window of this share of each side at a random place and resize it back (e.g. 0.8)."""
    zoom: float | None = Field(None, ge=1)
    """Zoom in by a random factor between 1 and this, at a random place (e.g. 1.5)."""
    brightness: float = Field(0.0, ge=0, le=1)
    """Shift the image's pixels by up to this share of their range, up or down (image only)."""
    contrast: float = Field(0.0, ge=0, lt=1)
    """Scale the image's contrast by a factor within 1 +/- this (image only)."""

    def apply(self, images, masks, seed):
        """A TensorFlow function: a batch of (B, H, W, C) images and (B, H, W, 1) masks, each
        example transformed by draws from the stateless `seed` (a pair of integers)."""
        import tensorflow as tf

        dtype, masks_dtype = images.dtype, masks.dtype
        x, y = tf.cast(images, tf.float32), tf.cast(masks, tf.float32)
        n = tf.shape(x)[0]
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 8)

        def draw(i, shape=None, low=0.0, high=1.0):
            return tf.random.stateless_uniform(shape or [n], seeds[i], low, high)

        for i, (name, axis) in enumerate((("horizontal", 2), ("vertical", 1))):
            if name in self.flip:
                flipped = draw(i) < 0.5
                x, y = (tf.where(flipped[:, None, None, None], tf.reverse(t, [axis]), t) for t in (x, y))
        if self.rot90:
            turns = tf.cast(draw(2, high=4.0), tf.int32)
            x, y = (_rotated(t, turns) for t in (x, y))
        if self.crop is not None or self.zoom is not None:
            side = (self.crop or 1.0) / draw(3, low=1.0, high=self.zoom or 1.0)
            top, left = (draw(i) * (1.0 - side) for i in (4, 5))
            boxes = tf.stack([top, left, top + side, left + side], axis=1)
            size, index = tf.shape(x)[1:3], tf.range(n)
            x = tf.image.crop_and_resize(x, boxes, index, size, method="bilinear")
            y = tf.image.crop_and_resize(y, boxes, index, size, method="nearest")
        if self.brightness:
            x = x + draw(6, low=-self.brightness, high=self.brightness)[:, None, None, None] * 255.0
        if self.contrast:
            mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
            factor = draw(7, low=1 - self.contrast, high=1 + self.contrast)[:, None, None, None]
            x = (x - mean) * factor + mean
        if dtype.is_integer:
            x = tf.round(tf.clip_by_value(x, dtype.min, dtype.max))
        return tf.cast(x, dtype), tf.cast(tf.round(y), masks_dtype)


def _rotated(t, turns):
    """Each example of a square batch rotated by its own number of quarter turns."""
    import tensorflow as tf

    options = tf.stack([tf.image.rot90(t, k) for k in range(4)], axis=1)  # (B, 4, H, W, C)
    return tf.gather(options, turns, axis=1, batch_dims=1)
