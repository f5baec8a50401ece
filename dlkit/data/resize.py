"""Bilinear resizing in numpy, as TensorFlow's `tf.image.resize(method="bilinear")` resizes, for
an install without TensorFlow: pixel centres at half-integers, and with `antialias` a triangle
filter widened by the downscale factor (TensorFlow's `scale_and_translate`). Both are one weight
matrix per axis whose rows are positive and sum to 1, so the result stays within 0-255."""

from __future__ import annotations

import numpy as np


def resized(pixels: np.ndarray, height: int, width: int, antialias: bool = True) -> np.ndarray:
    """uint8 (H, W, C) pixels resized to (height, width), rounded back to uint8."""
    if pixels.shape[:2] == (height, width):
        return pixels.astype("uint8", copy=False)
    out = _along(pixels.astype("float32"), 0, height, antialias)
    out = _along(out, 1, width, antialias)
    return np.round(out).astype("uint8")


def _along(values: np.ndarray, axis: int, new_size: int, antialias: bool) -> np.ndarray:
    """`values` resized along `axis`: each new pixel the weighted sum of its few old ones."""
    taps, weights = _taps(values.shape[axis], new_size, antialias)
    shape = [1] * values.ndim
    shape[axis] = new_size
    out = np.zeros([new_size if i == axis else n for i, n in enumerate(values.shape)], "float32")
    for k in range(taps.shape[1]):  # one tap of every new pixel at a time: memory of one output
        out += np.take(values, taps[:, k], axis=axis) * weights[:, k].reshape(shape)
    return out


def _taps(size: int, new_size: int, antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """(new_size, K) indices of old pixels and their float32 weights in each new one. New pixel i
    samples the old axis at (i + 0.5) * size / new_size; old pixel j (centre j + 0.5) weighs
    max(0, 1 - |distance| / width), width 1, or the downscale factor with `antialias`; the weights
    of each new pixel are normalised to sum to 1 (old pixels past an edge count for nothing)."""
    scale = size / new_size
    width = max(scale, 1.0) if antialias else 1.0
    samples = (np.arange(new_size, dtype="float32") + 0.5) * np.float32(scale)
    first = np.floor(samples - width - 0.5).astype("int64") + 1
    taps = first[:, None] + np.arange(int(np.ceil(2 * width)) + 1)[None, :]
    distance = (taps.astype("float32") + 0.5 - samples[:, None]) / np.float32(width)
    weights = np.where((taps >= 0) & (taps < size), np.maximum(0.0, 1.0 - np.abs(distance)), 0.0).astype("float32")
    weights /= weights.sum(axis=1, keepdims=True)
    return np.clip(taps, 0, size - 1), weights
