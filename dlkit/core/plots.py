"""The run folder's plots, drawn with matplotlib's file-only backend."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from dlkit.core import spare_plots
from dlkit.core.runs import atomic_write


def figure():
    """matplotlib's pyplot on the file-only backend (for a task's own plots too)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: Path) -> None:
    """Write the figure to `path` as PNG (whole or not at all) and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    figure().close(fig)
    atomic_write(path, buffer.getvalue())


def serve_spare() -> None:
    """The spare process of `dlkit.core.spare_plots`: matplotlib imported at once, then each
    drawing it is sent."""
    figure()
    spare_plots.serve(lambda name, args, kwargs: globals()[name].__wrapped__(*args, **kwargs))


@spare_plots.offloaded
def learning_curves(history_csv: Path, path: Path) -> None:
    """One panel per logged quantity (loss first), training and validation together."""
    with open(history_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    names = [k for k in rows[0] if k not in ("epoch", "learning_rate") and not k.startswith("val_")]
    names.sort(key=lambda n: n != "loss")
    epochs = [int(r["epoch"]) for r in rows]
    plt = figure()
    cols = min(len(names), 3)
    panel_rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(panel_rows, cols, figsize=(4.5 * cols, 3.4 * panel_rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        ax.plot(epochs, [float(r[name]) for r in rows], marker="o", ms=3, label="train")
        if f"val_{name}" in rows[0]:
            ax.plot(epochs, [float(r[f"val_{name}"]) for r in rows], marker="o", ms=3, label="validation")
        ax.set(title=name, xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.tight_layout()
    save(fig, path)


@spare_plots.offloaded
def confusion_matrix(matrix: np.ndarray, class_names: list[str], path: Path, title: str) -> None:
    plt = figure()
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
    save(fig, path)


@spare_plots.offloaded
def roc_curve(fpr: np.ndarray, tpr: np.ndarray, auc: float, path: Path, title: str) -> None:
    """True- against false-positive rate over every threshold; the diagonal is a random guess."""
    plt = figure()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"model (AUC {auc:.4f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="chance (AUC 0.5)")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    save(fig, path)


@spare_plots.offloaded
def reliability(report: dict, path: Path, title: str) -> None:
    """Accuracy against confidence per bin (a perfectly calibrated model is on the diagonal), the
    gap to the diagonal shaded, and each bin's share of the examples below (`report`: the bins and
    ECE of `dlkit.core.calibration.reliability`)."""
    plt = figure()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(4.8, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.08}
    )
    bins = report["bins"]
    width = bins[0]["upper"] - bins[0]["lower"]
    filled = [b for b in bins if b["count"]]
    middles = [b["lower"] + width / 2 for b in filled]
    top.bar(middles, [b["accuracy"] for b in filled], width=width, edgecolor="black", label="accuracy")
    top.bar(
        middles,
        [b["confidence"] - b["accuracy"] for b in filled],
        bottom=[b["accuracy"] for b in filled],
        width=width,
        color="tab:red",
        alpha=0.35,
        edgecolor="tab:red",
        label="gap to confidence",
    )
    top.plot([0, 1], [0, 1], ls="--", color="grey", label="perfect calibration")
    top.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy", title=f"{title}: ECE {report['ece']:.4f}")
    top.legend(loc="upper left", fontsize=8)
    top.grid(alpha=0.3)
    total = sum(b["count"] for b in bins) or 1
    bottom.bar(middles, [b["count"] / total for b in filled], width=width, color="grey", edgecolor="black")
    bottom.set(xlabel="confidence", ylabel="share")
    bottom.grid(alpha=0.3)
    save(fig, path)


@spare_plots.offloaded
def residuals(y_true: np.ndarray, y_pred: np.ndarray, path: Path, title: str) -> None:
    """Predicted against true values (perfect on y = x), and the residuals (true - predicted)
    against the predictions, where a pattern means something the model missed."""
    plt = figure()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    left.scatter(y_true, y_pred, s=8, alpha=0.5)
    left.plot([low, high], [low, high], ls="--", color="grey", label="y = x")
    left.set(xlabel="true", ylabel="predicted", title="predicted vs true")
    left.legend()
    right.scatter(y_pred, y_true - y_pred, s=8, alpha=0.5)
    right.axhline(0, ls="--", color="grey")
    right.set(xlabel="predicted", ylabel="residual (true - predicted)", title="residuals")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    save(fig, path)


def optimisation_history(points: list[tuple[int, float]], metric: str, direction: str, path: Path) -> None:
    """Each finished trial's value by trial number, and the best so far."""
    plt = figure()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    points = sorted(points)
    if points:
        numbers, values = zip(*points, strict=True)
        best = np.maximum.accumulate(values) if direction == "maximize" else np.minimum.accumulate(values)
        ax.plot(numbers, values, "o", label="trial")
        ax.step(numbers, best, where="post", color="tab:red", label="best so far")
        ax.legend()
    ax.set(title="optimisation history", xlabel="trial", ylabel=metric)
    ax.grid(alpha=0.3)
    save(fig, path)


def parameter_importance(importances: dict[str, float], metric: str, path: Path) -> None:
    """How much of the metric's variation across trials each searched key explains (fANOVA)."""
    plt = figure()
    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(names) + 1.6))
    ax.barh(names, [importances[n] for n in names])
    ax.set(title=f"parameter importance for {metric}", xlabel="share of the variation")
    ax.grid(alpha=0.3, axis="x")
    save(fig, path)
