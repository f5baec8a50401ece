"""`dlkit predict`: bring image files to the run's input the way the training data looked, and
classify them with `model.keras` (which holds the preprocessing itself)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlkit.config import load_config
from dlkit.data.images import IMAGE_SUFFIXES, read_image
from dlkit.errors import UsageError
from dlkit.evaluation import probabilities
from dlkit.runs import load_run_model, read_run


def expand_inputs(inputs: list[Path]) -> list[Path]:
    """Files as given; a folder gives its image files, sorted."""
    paths = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            paths.append(item)
    return paths


def predict_images(run_dir: Path, inputs: list[Path], top_k: int = 3) -> list[dict]:
    """One row per image: the class, its probability and the top-k; or the error reading it."""
    info = read_run(run_dir)
    if info.get("input", {}).get("kind") != "image":
        raise UsageError(f"{run_dir}: this run was not trained on images; predict takes image files")
    config = load_config(Path(run_dir) / "config.yaml")
    shape = tuple(info["input"]["shape"])
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise UsageError(f"{run_dir}: cannot make images of shape {shape} from files")
    paths = expand_inputs(inputs)
    if not paths:
        raise UsageError("no image files to predict (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")")
    from PIL import Image

    rows, images = [], []
    for path in paths:
        try:
            images.append(read_image(path, shape))
            rows.append({"input": str(path)})
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            rows.append({"input": str(path), "error": _reason(e)})
    good = [row for row in rows if "error" not in row]
    if good:
        outputs = load_run_model(run_dir).predict(np.stack(images), verbose=0)
        for row, output in zip(good, outputs, strict=True):
            row.update(_describe(config, output, info.get("classes") or [], top_k))
    return rows


def _describe(config, output: np.ndarray, classes: list[str], top_k: int) -> dict:
    if config.task == "regression":
        return {"value": output.tolist() if output.size > 1 else float(output[0])}
    probs = probabilities(config, output[None])[0]
    if config.task == "binary":
        positive = float(probs[0])
        probs = np.array([1.0 - positive, positive])
    order = np.argsort(-probs, kind="stable")[:top_k]
    label = lambda i: classes[i] if i < len(classes) else str(i)  # noqa: E731
    return {
        "label": label(order[0]),
        "probability": float(probs[order[0]]),
        "top_k": [{"label": label(i), "probability": float(probs[i])} for i in order],
    }


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a folder"
    return f"cannot read as an image ({type(error).__name__}: {error})"
