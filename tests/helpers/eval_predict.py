"""Digit images as PNG files, for predict."""

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def _digit_pngs(folder, count=6):
    """Digits as a user would have them: bigger, RGB, in PNG and JPEG."""
    digits = load_digits()
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        pixels = np.round(digits.images[i] * 255 / 16).astype("uint8")
        image = Image.fromarray(pixels, "L").resize((32, 32), Image.Resampling.NEAREST).convert("RGB")
        path = folder / f"digit_{i}_{digits.target[i]}.{'png' if i % 2 == 0 else 'jpg'}"
        image.save(path, quality=95)
        paths.append(path)
    return paths
