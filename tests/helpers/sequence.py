"""A time series as a CSV."""

import numpy as np


def series_csv(path, steps=400):
    t = np.arange(steps)
    frame = np.stack([np.sin(t / 8), np.cos(t / 8), np.sin(t / 3) * 0.1], axis=1)
    lines = ["Wave,Other,Noise"] + [",".join(f"{v:.5f}" for v in row) for row in frame]
    path.write_text("\n".join(lines) + "\n")
    return path
