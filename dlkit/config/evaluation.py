"""`eval:` the report `dlkit eval` (and the end of training) writes, beyond the training metrics."""

from __future__ import annotations

from dlkit.strict import Strict


class EvalConfig(Strict):
    metrics: list[str] | None = None
    """Figures computed from the predictions (e.g. precision/recall/f1 macro-averaged over classes,
    roc_auc from the probabilities, r2). Default: every one the task reports (`dlkit list tasks`)."""
