"""Reviews with commas and quotes in them, and a CSV of them as a writer quotes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

GOOD = ["great", "wonderful", "superb", "loved"]

BAD = ["awful", "boring", "dreadful", "hated"]


def _reviews(n: int, seed: int) -> list[tuple[str, str]]:
    """Texts with commas and quotes in them, as a CSV writer quotes them."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = ("neg", "pos")[i % 2]
        word = rng.choice(GOOD if label == "pos" else BAD)
        rows.append((f'The film, I said, was "{word}"; {rng.choice(["truly", "so", "rather"])} {word}.', label))
    return rows


def _csv(path: Path, rows, header: str = "id,review,sentiment") -> Path:
    import csv

    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header.split(","))
        for i, row in enumerate(rows):
            writer.writerow([i, *row][: len(header.split(","))])
    return path
