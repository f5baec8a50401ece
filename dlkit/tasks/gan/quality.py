"""`dlkit eval RUN --classifier RUN2` for a GAN: score samples with a classification run on the
same data. Confidence: the share of samples the classifier gives one class with probability
> 0.9 (recognisable images). Diversity: the entropy (nats) of the histogram of predicted classes,
log(classes) when every class is drawn equally often; below 1.0 the generator has collapsed onto
a few modes. Imports Keras: load it lazily."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.loader import load_run_config
from dlkit.core.errors import UsageError
from dlkit.core.runs import atomic_write, read_run, write_json
from dlkit.core.writing import inside
from dlkit.engine.task import task_of
from dlkit.model.saved import load_run_model
from dlkit.tasks.gan.generate import draw
from dlkit.tasks.gan.pixels import grid_png

CONFIDENT = 0.9
#: Below this diversity the run counts as collapsed (`dlkit eval` warns).
COLLAPSED = 1.0


def score_samples(run_dir: Path, config: ExperimentConfig, classifier_dir: Path, n: int = 1000, seed: int = 0) -> dict:
    """Draw `n` samples (seeded), classify them with `classifier_dir`'s model.keras (which takes
    raw pixels, so the samples are mapped back to 0-255 first) and write RUN/eval/metrics.json
    and RUN/eval/samples.png. Returns the figures."""
    info = read_run(classifier_dir)
    if info.get("task") != "classification":
        raise UsageError(f"--classifier {classifier_dir}: not a classification run (task {info.get('task')!r})")
    if info.get("dataset") != read_run(run_dir).get("dataset"):
        raise UsageError(
            f"--classifier {classifier_dir}: trained on {info.get('dataset')!r}, but the GAN on "
            f"{read_run(run_dir).get('dataset')!r}; use a classifier of the same data"
        )
    classifier_task = task_of(load_run_config(classifier_dir))
    classifier = load_run_model(classifier_dir)
    _, _, pictures = draw(config, load_run_model(run_dir), n, seed)
    images, wanted = pictures, tuple(classifier.input_shape[1:])
    if images.shape[1:] != wanted:
        if math.prod(images.shape[1:]) != math.prod(wanted):
            raise UsageError(
                f"--classifier {classifier_dir}: takes inputs of shape {wanted}, the generator makes {images.shape[1:]}"
            )
        images = images.reshape((n, *wanted))
    outputs = np.asarray(classifier.predict(images.astype("float32"), batch_size=256, verbose=0))
    probs = classifier_task.probabilities(outputs)
    names = info.get("classes") or [str(i) for i in range(probs.shape[-1])]
    counts = np.bincount(probs.argmax(axis=-1), minlength=probs.shape[-1])
    shares = counts[counts > 0] / n
    metrics = {
        "samples": n,
        "seed": seed,
        "classifier": str(classifier_dir),
        "confidence": float(np.mean(probs.max(axis=-1) > CONFIDENT)),
        "diversity": float(-(shares * np.log(shares)).sum()),
        "max_diversity": float(math.log(probs.shape[-1])),
        "class_histogram": {str(name): int(c) for name, c in zip(names, counts, strict=False)},
    }
    out = inside(run_dir, "eval", folder=True)
    write_json(out / "metrics.json", metrics)
    atomic_write(out / "samples.png", grid_png(pictures[:64]))
    return metrics
