"""Data of each kind `dlkit init` reads, and running it."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _table(folder: Path, target: str = "label", rows: int = 120) -> Path:
    rng = np.random.default_rng(0)
    score = rng.normal(size=rows)
    lines = ["id,age,city,score," + target]
    for i in range(rows):
        city = "abc"[i % 3]
        lines.append(f"{i},{rng.integers(18, 80)},{city},{score[i]:.3f},{'yes' if score[i] > 0 else 'no'}")
    path = folder / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _regression(folder: Path) -> Path:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 3))
    lines = ["a,b,c,price"] + [f"{a:.3f},{b:.3f},{c:.3f},{3 * a - b + 0.1 * c + 10:.3f}" for a, b, c in x]
    path = folder / "houses.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _texts(folder: Path) -> Path:
    rng = np.random.default_rng(2)
    words = ["good", "bad", "movie", "plot", "actor", "great", "awful", "fun", "boring", "story"]
    lines = ["review,sentiment"]
    for _ in range(120):
        text = " ".join(rng.choice(words, 8))
        lines.append(f"{text},{'pos' if 'good' in text or 'great' in text else 'neg'}")
    path = folder / "reviews.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _series(folder: Path) -> Path:
    steps = np.arange(200)
    values = 10 * np.sin(steps / 5) + np.random.default_rng(3).normal(size=200)
    days = np.datetime64("2020-01-01") + steps
    path = folder / "sales.csv"
    path.write_text("date,value\n" + "\n".join(f"{d},{v:.3f}" for d, v in zip(days, values, strict=True)) + "\n")
    return path


def _npz(folder: Path) -> Path:
    rng = np.random.default_rng(4)
    path = folder / "shapes.npz"
    np.savez(path, x_train=rng.integers(0, 256, (90, 10, 10), dtype=np.uint8), y_train=rng.integers(0, 3, 90))
    return path


def _images(folder: Path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(5)
    root = folder / "photos"
    for c, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        (root / f"class_{c}").mkdir(parents=True)
        for i in range(8):
            pixels = rng.integers(0, 60, (20, 24, 3), dtype=np.uint8)
            pixels[4:12, 4:12] = colour
            Image.fromarray(pixels).save(root / f"class_{c}" / f"{i}.png")
    return root


#: Each kind of data, the dataset and task its config gets, and a line `dlkit init` prints about it.
KINDS = {
    "table": (_table, "csv", "binary", "target 'label': its name says so"),
    "regression": (_regression, "csv", "regression", "target 'price': its name says so"),
    "text": (_texts, "text_csv", "binary", "text 'review': free text"),
    "series": (_series, "sequence", "regression", "in the order of 'date'"),
    "npz": (_npz, "npz", "classification", "images, for a CNN (uint8 pixels: rescaled to 0-1)"),
    "images": (_images, "image_folder", "classification", "image_size [20, 24]"),
}


def _init(cli, tmp_path: Path, kind: str, *args: str):
    data = KINDS[kind][0](tmp_path)
    out = tmp_path / f"{kind}.yaml"
    return cli("init", data, "-o", out, *args), out
