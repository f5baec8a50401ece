"""Segmentation folders (image and mask pairs) and their config."""

import numpy as np
from PIL import Image

CLASSES = ["background", "circle", "square", "triangle"]


def seg_config(root, **changes):
    config = {
        "name": "seg",
        "seed": 3,
        "task": "segmentation",
        "data": {
            "dataset": "segmentation_folder",
            "options": {"path": str(root), "image_size": [24, 24], "classes": CLASSES},
            "split": {"validation": 0.2, "test": 0.2},
            "preprocess": [{"type": "rescale", "scale": 1 / 255}],
            "batch_size": 8,
        },
        "model": {
            "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
                {"type": "conv2d", "filters": 4, "kernel_size": 1, "activation": "softmax"},
            ]
        },
        "train": {"epochs": 1, "metrics": ["accuracy", "mean_iou", "dice"]},
    }
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    return config


def pair(root, stem, image_size=(20, 30), mask=None, suffix=".png"):
    """One image and its mask (class ids) under root/images and root/masks."""
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    height, width = image_size
    Image.fromarray(np.full((height, width, 3), 90, "uint8")).save(root / "images" / f"{stem}{suffix}")
    ids = np.zeros((height, width), "uint8") if mask is None else mask
    Image.fromarray(ids, "L").save(root / "masks" / f"{stem}.png")
