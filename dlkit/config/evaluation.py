"""`eval:` the report `dlkit eval` (and the end of training) writes, beyond the training metrics."""

from __future__ import annotations

from typing import Literal

from dlkit.strict import Strict


class EvalConfig(Strict):
    metrics: list[str] | None = None
    """Figures computed from the predictions (e.g. precision/recall/f1 macro-averaged over classes,
    roc_auc from the probabilities, r2). Default: every one the task reports (`dlkit list tasks`)."""


class ClassEvalConfig(EvalConfig):
    """`eval:` of a task whose labels are classes."""

    calibrate: Literal["temperature"] | None = None
    """`temperature`: at the end of training, fit one temperature on the validation split's outputs
    (least NLL) and build it into `model.keras` (predict, export and serve use it); decisions stay
    the same, confidences match accuracy better. `calibration.json` holds the temperature and ECE
    and NLL before and after. Null: the model as trained."""
