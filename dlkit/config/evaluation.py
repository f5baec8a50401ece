"""`eval:` the report `dlkit eval` (and the end of training) writes, beyond the training metrics."""

from __future__ import annotations

from typing import Literal

from dlkit.core.strict import Strict


class EvalConfig(Strict):
    metrics: list[str] | None = None
    """Figures computed from the predictions (e.g. precision/recall/f1 macro-averaged over classes,
    roc_auc from the probabilities, r2). Default: every one the task reports (`dlkit list tasks`)."""


class SupervisedEvalConfig(EvalConfig):
    """`eval:` of a task that fits a model to labels."""

    baselines: bool = True
    """Score what the model must beat on the validation and test splits, into metrics.json's
    `baselines` (and eval/metrics.json): the trivial prediction (the majority class or each label's
    training share, the training mean and median, a series' last value), and for tables scikit-learn's
    logistic or ridge regression and HistGradientBoosting fitted on the training split (a sample of
    at most 50,000 rows). False: none (they cost a few seconds on a large table)."""


class ClassEvalConfig(SupervisedEvalConfig):
    """`eval:` of a task whose labels are classes."""

    calibrate: Literal["temperature"] | None = None
    """`temperature`: at the end of training, fit one temperature on the validation split's outputs
    (least NLL) and build it into `model.keras` (predict, export and serve use it); decisions stay
    the same, confidences match accuracy better. `calibration.json` holds the temperature and ECE
    and NLL before and after. Null: the model as trained."""
