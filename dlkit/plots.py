"""The run folder's plots, drawn with matplotlib's file-only backend."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from dlkit.runs import atomic_write


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _figure().close(fig)
    atomic_write(path, buffer.getvalue())


def learning_curves(history_csv: Path, path: Path) -> None:
    """One panel per logged quantity (loss first), training and validation together."""
    with open(history_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    names = [k for k in rows[0] if k not in ("epoch", "learning_rate") and not k.startswith("val_")]
    names.sort(key=lambda n: n != "loss")
    epochs = [int(r["epoch"]) + 1 for r in rows]
    plt = _figure()
    cols = min(len(names), 3)
    fig, axes = plt.subplots(math.ceil(len(names) / cols), cols, figsize=(4.5 * cols, 3.4), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        ax.plot(epochs, [float(r[name]) for r in rows], marker="o", ms=3, label="train")
        if f"val_{name}" in rows[0]:
            ax.plot(epochs, [float(r[f"val_{name}"]) for r in rows], marker="o", ms=3, label="validation")
        ax.set(title=name, xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    _save(fig, path)


def confusion_matrix(matrix: np.ndarray, class_names: list[str], path: Path, title: str) -> None:
    plt = _figure()
    size = max(4.0, 0.45 * len(class_names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ticks = range(len(class_names))
    ax.set(
        xticks=ticks,
        yticks=ticks,
        xticklabels=class_names,
        yticklabels=class_names,
        xlabel="predicted",
        ylabel="true",
        title=title,
    )
    threshold = matrix.max() / 2 if matrix.size else 0
    if len(class_names) <= 30:
        for (i, j), n in np.ndenumerate(matrix):
            ax.text(j, i, str(n), ha="center", va="center", color="white" if n > threshold else "black", fontsize=8)
    _save(fig, path)
