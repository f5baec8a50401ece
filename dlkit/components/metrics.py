"""Metrics computed during training; each is logged under its registry name (`val_` for validation),
says which model outputs it scores (the heads of `dlkit.components.losses`) and whether higher is better."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import PositiveInt

from dlkit.components.losses import Head, Loss
from dlkit.core.backend import keras
from dlkit.core.registries import METRICS
from dlkit.core.registry import KerasSpec, Spec

#: Figures where lower is better that no metric class declares (`METRICS` declares the rest).
LOWER_IS_BETTER = frozenset({"loss", "ece", "nll"})
#: The range of figures no metric class declares (a bound None: none that way).
OTHER_BOUNDS: dict[str, tuple[float | None, float | None]] = {"ece": (0.0, 1.0), "r2": (None, 1.0)}


class Metric(Spec):
    heads: ClassVar[tuple[Head, ...]] = ()
    #: Whether it scores a mask per example (per pixel), so only tasks that predict masks take it.
    masks: ClassVar[bool] = False
    #: `up`: higher is better (checkpoint mode `auto`, `tune.direction` and `dlkit runs` read it).
    direction: ClassVar[Literal["up", "down"]] = "up"
    #: The values it can take (a bound None: none that way); `dlkit cv` keeps its intervals inside.
    bounds: ClassVar[tuple[float | None, float | None]] = (None, None)

    @property
    def logged_name(self) -> str:
        """The name in the logs and history.csv (`val_` prefixed for validation)."""
        return self.type_name

    def build(self, loss: Loss, num_classes: int):
        """The Keras metric matching `loss`'s label format and output (probabilities or logits),
        for a model with `num_classes` outputs."""
        raise NotImplementedError


def direction(name: str) -> Literal["up", "down"]:
    """`up` when a higher figure is better: what the metric class declares (for `micro_f1`, `f1`'s),
    else down for losses and errors."""
    for candidate in (name, name.rsplit("_", 1)[-1]):
        if candidate in METRICS:
            return METRICS.get(candidate).direction
    return "down" if name in LOWER_IS_BETTER or name.endswith(("loss", "error")) else "up"


def bounds(name: str) -> tuple[float | None, float | None]:
    """The values figure `name` can take, as its metric class declares (`roc_auc` and `pr_auc` as
    `auc`, `micro_f1` as `f1`); (None, None) for one not known (a loss)."""
    for candidate in (name, name.rsplit("_", 1)[-1]):
        if candidate in METRICS:
            return METRICS.get(candidate).bounds
    return OTHER_BOUNDS.get(name, (None, None))


def _from_logits(loss: Loss) -> bool:
    return bool(getattr(loss, "from_logits", False))


@METRICS.register(aliases=("acc",))
class Accuracy(Metric):
    """Share of correct predictions (the top class, or each sigmoid unit at a 0.5 threshold)."""

    bounds = (0.0, 1.0)

    heads = ("softmax", "sigmoid")

    def build(self, loss, num_classes):
        m = keras().metrics
        if loss.head == "sigmoid":
            return m.BinaryAccuracy(threshold=0.0 if _from_logits(loss) else 0.5, name="accuracy")
        if loss.labels == "one_hot":
            return m.CategoricalAccuracy(name="accuracy")
        return m.SparseCategoricalAccuracy(name="accuracy")


@METRICS.register()
class TopKAccuracy(Metric):
    """Share of examples whose label is among the `k` highest scores."""

    bounds = (0.0, 1.0)

    heads = ("softmax",)
    k: PositiveInt = 5

    def build(self, loss, num_classes):
        m = keras().metrics
        cls = m.TopKCategoricalAccuracy if loss.labels == "one_hot" else m.SparseTopKCategoricalAccuracy
        return cls(k=self.k, name="top_k_accuracy")


@METRICS.register()
class Auc(Metric):
    """Area under the ROC curve (with `curve: PR` the precision-recall curve, logged as `pr_auc`); sigmoid outputs."""

    bounds = (0.0, 1.0)

    heads = ("sigmoid",)
    curve: Literal["ROC", "PR"] = "ROC"

    @property
    def logged_name(self) -> str:
        return "auc" if self.curve == "ROC" else "pr_auc"

    def build(self, loss, num_classes):
        return keras().metrics.AUC(curve=self.curve, from_logits=_from_logits(loss), name=self.logged_name)


class _ClassScore(Metric):
    """Sigmoid outputs: the positive class's (over every label's units: micro-averaged); softmax
    outputs: the macro average over classes."""

    bounds = (0.0, 1.0)

    heads = ("softmax", "sigmoid")

    def build(self, loss, num_classes):
        from dlkit.layers.custom import ClassScore

        if loss.head == "sigmoid":
            threshold = 0.0 if _from_logits(loss) else 0.5
            return ClassScore(2, self.type_name, threshold=threshold, positive_only=True)
        return ClassScore(num_classes, self.type_name)


@METRICS.register()
class Precision(_ClassScore):
    """Share of predictions of a class that are right (sigmoid: of the positive units; softmax: macro-averaged)."""


@METRICS.register()
class Recall(_ClassScore):
    """Share of a class's examples predicted as it (sigmoid: of the positive units; softmax: macro-averaged)."""


@METRICS.register()
class F1(_ClassScore):
    """Harmonic mean of precision and recall (sigmoid: of the positive units; softmax: macro-averaged)."""


class _MaskScore(_ClassScore):
    """Per pixel for segmentation: the mean over the classes present in the labels or predictions
    (a sigmoid output's two classes: background and foreground)."""

    masks = True

    def build(self, loss, num_classes):
        from dlkit.layers.custom import ClassScore

        threshold = (0.0 if _from_logits(loss) else 0.5) if loss.head == "sigmoid" else None
        score = "f1" if self.type_name == "dice" else "iou"
        return ClassScore(max(num_classes, 2), score, threshold=threshold, name=self.type_name)


@METRICS.register()
class MeanIou(_MaskScore):
    """Intersection over union of each class, averaged over the classes (segmentation: per pixel)."""


@METRICS.register()
class Dice(_MaskScore):
    """Dice coefficient 2|P∩Y|/(|P|+|Y|) of each class, averaged over the classes (segmentation: per pixel)."""


class _Regression(Metric, KerasSpec):
    heads = ("linear",)
    direction = "down"
    bounds = (0.0, None)  # errors
    keras_module = "metrics"

    def build(self, loss, num_classes):
        return self.keras_type()(name=self.type_name)


@METRICS.register()
class Mae(_Regression):
    """Mean absolute error."""

    keras_class = "MeanAbsoluteError"


@METRICS.register()
class Mse(_Regression):
    """Mean squared error."""

    keras_class = "MeanSquaredError"


@METRICS.register()
class Rmse(_Regression):
    """Root mean squared error."""

    keras_class = "RootMeanSquaredError"


@METRICS.register()
class R2(_Regression):
    """Coefficient of determination: 1 - squared error / the targets' variance (1 is perfect, 0 the
    mean's figure); averaged over target columns."""

    keras_class = "R2Score"
    direction = "up"
