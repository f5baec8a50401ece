"""Segmentation results: the pixel figures of masks (per-class IoU and Dice, from the confusion
matrix), masks in colour (one colour per class), and `dlkit eval`'s grid of the best and worst
predictions (image / true mask / predicted mask)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


#: How many examples of each end the grid shows.
SHOWN = 3


def colours(num_classes: int) -> np.ndarray:
    """(K, 3) uint8: class 0 (background) black, then matplotlib's tab10/tab20 colours."""
    import numpy as np
    from matplotlib import colormaps

    table = colormaps["tab10" if num_classes <= 11 else "tab20"]
    rows = [(0, 0, 0), *((np.array(table(i % table.N)[:3]) * 255).round() for i in range(num_classes - 1))]
    return np.array(rows, dtype="uint8")


def coloured(mask: np.ndarray, num_classes: int) -> np.ndarray:
    """An (H, W) mask of class ids as (H, W, 3) colours."""
    return colours(max(num_classes, int(mask.max()) + 1))[mask]


def overlay(image: np.ndarray, mask: np.ndarray, num_classes: int, alpha: float = 0.5) -> np.ndarray:
    """The image with each non-background pixel tinted by its class's colour."""
    import numpy as np

    rgb = image if image.shape[-1] == 3 else np.repeat(image, 3, axis=-1)
    tinted = (1 - alpha) * rgb + alpha * coloured(mask, num_classes)
    return np.where(mask[..., None] > 0, tinted, rgb).round().astype("uint8")


def best_and_worst(split, predicted: np.ndarray, num_classes: int, path: Path, title: str) -> dict:
    """Draw the SHOWN worst and best examples of `split` by their mean IoU into `path`; return
    which they were (file or index) with their mean IoU."""
    import numpy as np

    from dlkit.core import plots

    truth = np.asarray(split.y)[..., 0]
    scores = np.array([mask_scores(t, p, num_classes)["mean_iou"] for t, p in zip(truth, predicted, strict=True)])
    order = np.argsort(scores, kind="stable")
    worst, best = order[:SHOWN], order[::-1][:SHOWN]
    picked = [("worst", i) for i in worst] + [("best", i) for i in best if i not in worst]
    plt = plots.figure()
    fig, axes = plt.subplots(len(picked), 3, figsize=(6, 2 * len(picked)), squeeze=False)
    for row, (end, i) in enumerate(picked):
        image = _image(split.x[i], truth[i].shape)
        panels = (image, coloured(truth[i], num_classes), coloured(predicted[i], num_classes))
        for col, (panel, name) in enumerate(zip(panels, ("image", "true mask", "predicted"), strict=True)):
            ax = axes[row][col]
            ax.imshow(panel.squeeze(), cmap="gray" if panel.shape[-1] == 1 else None)
            ax.set_xticks([]), ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f"{end} {scores[i]:.2f}")
            if row == 0:
                ax.set_title(name)
    fig.suptitle(f"{title}: worst and best by mean IoU")
    plots.save(fig, path)
    name = lambda i: Path(str(split.x[i])).name if np.ndim(split.x[i]) == 0 else int(i)  # noqa: E731
    return {
        end: [{"example": name(i), "mean_iou": float(scores[i])} for i in ends]
        for end, ends in (("worst", worst), ("best", best))
    }


def _image(x, size: tuple[int, int]) -> np.ndarray:
    """An example as pixels to show: a file read at the masks' size, or the array itself."""
    import numpy as np

    if np.ndim(x) == 0:
        from dlkit.data.images import read_image

        return read_image(Path(str(x)), (*size, 3))
    return np.asarray(x)


def mask_scores(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Pixel figures from the confusion matrix of true and predicted class ids: per-class IoU
    and Dice (None for a class in neither), their means over the classes present, pixel accuracy."""
    import numpy as np

    true = np.asarray(y_true, dtype="int64").reshape(-1)
    pred = np.asarray(y_pred, dtype="int64").reshape(-1)
    k = num_classes
    confusion = np.bincount(true * k + pred, minlength=k * k).reshape(k, k).astype("float64")
    hits, actual, predicted = np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)
    present = actual + predicted > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(present, hits / (actual + predicted - hits), np.nan)
        dice = np.where(present, 2 * hits / (actual + predicted), np.nan)
    mean = lambda values: float(values[present].mean()) if present.any() else 0.0  # noqa: E731
    listed_ = lambda values: [None if np.isnan(v) else float(v) for v in values]  # noqa: E731
    return {
        "pixel_accuracy": float(hits.sum() / max(true.size, 1)),
        "mean_iou": mean(iou),
        "dice": mean(dice),
        "iou": listed_(iou),
        "dice_per_class": listed_(dice),
        "pixels": [int(n) for n in actual],
        "confusion": confusion.astype("int64").tolist(),
    }
