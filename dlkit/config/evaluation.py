"""`eval:` the report `dlkit eval` (and the end of training) writes, beyond the training metrics."""

from __future__ import annotations

from typing import Literal

from dlkit.strict import Strict

ReportMetric = Literal[
    "accuracy", "precision", "recall", "f1", "roc_auc", "confusion_matrix", "mae", "mse", "rmse", "r2"
]

#: Which report metrics make sense for which task.
REPORT_METRICS = {
    "classification": {"accuracy", "precision", "recall", "f1", "confusion_matrix"},
    "binary": {"accuracy", "precision", "recall", "f1", "roc_auc", "confusion_matrix"},
    "regression": {"mae", "mse", "rmse", "r2"},
    "gan": set(),  # scored by `dlkit eval RUN --classifier RUN2` instead
}


class EvalConfig(Strict):
    metrics: list[ReportMetric] | None = None
    """Computed from predictions (precision/recall/f1 macro-averaged; roc_auc, binary only, from the
    probabilities). Default: all that fit the task."""
