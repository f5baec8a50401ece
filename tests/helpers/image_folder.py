"""A folder of coloured images by class, and its config."""

import numpy as np
from PIL import Image

from conftest import TINY

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def make_folder(root, per_class=10):
    """Three colour classes in mixed sizes, modes and formats, as a user's folder would be."""
    rng = np.random.default_rng(0)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            size = (int(rng.integers(12, 40)), int(rng.integers(12, 40)))
            pixels = np.clip(np.array(colour) + rng.normal(0, 20, (*size, 3)), 0, 255).astype("uint8")
            image = Image.fromarray(pixels, "RGB")
            if i % 3 == 1:
                image = image.convert("RGBA")
            if i % 3 == 2:
                image.save(root / name / f"{i}.jpg", quality=90)
            else:
                image.save(root / name / f"{i}.png")
    return root


def folder_config(root, **options):
    return {
        **TINY,
        "name": "folder",
        "data": {
            "dataset": "image_folder",
            "options": {"path": str(root), "image_size": [16, 16], **options},
            "split": {"validation": 0.2, "test": 0.2},
            "preprocess": [{"type": "rescale", "scale": 1 / 255}],
            "batch_size": 8,
        },
        "model": {"layers": ["global_average_pooling2d", {"type": "dense", "units": 3, "activation": "softmax"}]},
        "train": {"epochs": 15, "optimizer": {"type": "adam", "learning_rate": 0.1}},
    }
