"""What a cross-validation found: each fold's metrics.json, and over the folds each figure's mean,
standard deviation and 95% interval of the mean (`INTERVAL`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from dlkit.engine.task import Table

SPLITS = ("train", "val", "test")
#: How the interval is computed, as `dlkit cv` prints it and cv.json keeps it.
INTERVAL = (
    "95% interval of the mean over the folds: mean ± t(0.975, folds-1) x std / sqrt(folds) (Student t, as "
    "the folds are few), clipped to the range a bounded figure can take (accuracy, auc, precision, recall, "
    "f1, iou in [0, 1]; errors at least 0)"
)


def statistics(values: list[float], name: str = "") -> dict:
    """Mean, sample standard deviation and the 95% interval of the mean (null with one value),
    kept inside the range figure `name` can take: folds near 1.0 do not put it above 1.0."""
    from scipy import stats

    from dlkit.components.metrics import bounds

    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return {"n": n, "mean": mean, "std": None, "interval": None}
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
    low, high = bounds(name)
    interval = [
        mean - half if low is None else max(low, mean - half),
        mean + half if high is None else min(high, mean + half),
    ]
    return {"n": n, "mean": mean, "std": std, "interval": interval}


def summarise(folder: Path, names: list[str]) -> dict:
    """Per-fold figures (by fold name) and, for each split's figure, its statistics over the folds."""
    per_fold = {name: _figures(folder / name / "metrics.json") for name in names}
    summary: dict[str, dict] = {}
    for split in SPLITS:
        metrics = list(dict.fromkeys(m for figures in per_fold.values() for m in figures.get(split, {})))
        for metric in metrics:
            values = [f[split][metric] for f in per_fold.values() if metric in f.get(split, {})]
            summary.setdefault(split, {})[metric] = statistics(values, metric)
    return {"folds": per_fold, "summary": summary, "interval": INTERVAL}


def _figures(path: Path) -> dict:
    metrics = json.loads(path.read_text())
    return {
        split: {k: v for k, v in metrics[split].items() if isinstance(v, (int, float)) and math.isfinite(v)}
        for split in SPLITS
        if isinstance(metrics.get(split), dict)
    }


def table(result: dict, title: str) -> Table:
    """A row per split and figure: mean, std, interval, then each fold's value (up to ten folds)."""
    names = list(result["folds"])
    shown = names if len(names) <= 10 else []
    rows = []
    for split, metrics in result["summary"].items():
        for metric, s in metrics.items():
            interval = f"{s['interval'][0]:.4f} - {s['interval'][1]:.4f}" if s["interval"] else ""
            std = f"{s['std']:.4f}" if s["std"] is not None else ""
            folds = [_number(result["folds"][n].get(split, {}).get(metric)) for n in shown]
            rows.append([split, metric, f"{s['mean']:.4f}", std, interval, *folds])
    return Table(title, ["split", "metric", "mean", "std", "95% interval", *shown], rows)


def _number(value) -> str:
    return "" if value is None else f"{value:.4f}"
