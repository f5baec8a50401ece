"""attack.png (accuracy against eps) and attack_examples.png (clean and adversarial images)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlkit.core.plots import figure, save


def accuracy_against_eps(report: dict, path: Path, title: str) -> None:
    plt = figure()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    eps = [0.0, *(row["eps"] for row in report["attacks"])]
    accuracy = [report["clean"]["accuracy"], *(row["accuracy"] for row in report["attacks"])]
    ax.plot(eps, accuracy, marker="o", label=report["method"])
    ax.set(title=f"{title}, {report['n']} examples", xlabel=f"eps ({report['eps_scale']})", ylabel="accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save(fig, path)


def examples(result, y: np.ndarray, class_names: list[str], path: Path) -> None:
    """A row of clean examples, then a row per eps of the same examples attacked, each titled
    with the model's prediction (red where it is wrong)."""
    rows = [("clean", result.clean), *((f"eps {e}", x) for e, x in result.adversarial.items())]
    keys = ["clean", *map(str, result.adversarial)]
    plt = figure()
    count = len(result.clean)
    fig, axes = plt.subplots(len(rows), count, figsize=(1.3 * count, 1.5 * len(rows)), squeeze=False)
    for r, ((label, images), key) in enumerate(zip(rows, keys, strict=True)):
        for c in range(count):
            ax = axes[r][c]
            image = np.clip(np.asarray(images[c], dtype="float32"), 0, 255) / 255
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=1)
            predicted = int(result.predicted[key][c])
            name = class_names[predicted] if predicted < len(class_names) else str(predicted)
            ax.set_title(name, fontsize=8, color="black" if predicted == int(y[c]) else "red")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r][0].set_ylabel(label, fontsize=8)
    fig.tight_layout()
    save(fig, path)
