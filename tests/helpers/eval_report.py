"""Binary and regression configs of the report's tests, and a PNG check."""

from PIL import Image

from conftest import TINY

#: Logistic regression on breast_cancer; from_logits so the report must apply the sigmoid itself.
BINARY = {
    **TINY,
    "task": "binary",
    "data": {
        "dataset": "breast_cancer",
        "split": {"validation": 0.1, "test": 0.2},
        "preprocess": [{"type": "normalize"}],
        "batch_size": 32,
    },
    "model": {"layers": [{"type": "dense", "units": 1}]},
    "train": {**TINY["train"], "loss": {"type": "binary_crossentropy", "from_logits": True}},
}

REGRESSION = {
    **TINY,
    "task": "regression",
    "data": {"dataset": "diabetes", "split": {"validation": 0.1, "test": 0.2}, "batch_size": 32},
    "model": {"layers": [{"type": "dense", "units": 1}]},
    "train": {**TINY["train"], "epochs": 1},
}


def _is_png(path) -> bool:
    with Image.open(path) as image:
        return image.format == "PNG" and min(image.size) > 100
