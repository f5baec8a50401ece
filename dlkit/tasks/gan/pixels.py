"""Between the generator's output and image files: latent batches, the inverse of the rescale
steps, sample grids as PNG. NumPy and Pillow only."""

from __future__ import annotations

import io
import math

import numpy as np

#: Grid tiles are enlarged (nearest neighbour) to at least this many pixels a side, 2 pixels apart.
TILE, GAP = 32, 2


def latent_batch(n: int, latent_dim: int, seed: int) -> np.ndarray:
    """`n` standard normal latent vectors, the same for the same seed on any machine."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim), dtype=np.float32)


def to_pixels(samples: np.ndarray, preprocess: list, raw_shape: tuple[int, ...]) -> np.ndarray:
    """Generator output (on the scale `data.preprocess` leaves images) as uint8 0-255 images of
    `raw_shape`: each `rescale` step undone, last first (pixel = (x - offset) / scale), then
    rounded and clipped. Other steps are not undone (a resized dataset gives images of that size),
    except that a flattened image is given its shape back."""
    x = np.asarray(samples, dtype="float64")
    for step in reversed(preprocess):
        if step.type_name == "rescale":
            x = (x - step.offset) / step.scale
    if x.ndim != 4 and math.prod(x.shape[1:]) == math.prod(raw_shape):
        x = x.reshape((len(x), *raw_shape))
    return np.clip(np.round(x), 0, 255).astype("uint8")


def grid_size(n: int, height: int, width: int) -> tuple[int, int]:
    """(width, height) in pixels of the grid `grid_png` draws for `n` images of height x width."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    zoom = max(1, math.ceil(TILE / max(height, width)))
    return cols * width * zoom + (cols + 1) * GAP, rows * height * zoom + (rows + 1) * GAP


def grid_png(images: np.ndarray) -> bytes:
    """uint8 images (N, H, W, 1 or 3) as one PNG: a near-square grid on a grey background."""
    from PIL import Image

    n, height, width, channels = images.shape
    cols = math.ceil(math.sqrt(n))
    zoom = max(1, math.ceil(TILE / max(height, width)))
    size = grid_size(n, height, width)
    canvas = np.full((size[1], size[0], channels), 96, dtype="uint8")
    tiles = images.repeat(zoom, axis=1).repeat(zoom, axis=2)
    for i, tile in enumerate(tiles):
        row, col = divmod(i, cols)
        top, left = GAP + row * (height * zoom + GAP), GAP + col * (width * zoom + GAP)
        canvas[top : top + height * zoom, left : left + width * zoom] = tile
    buffer = io.BytesIO()
    Image.fromarray(canvas[..., 0] if channels == 1 else canvas).save(buffer, format="PNG")
    return buffer.getvalue()
