"""Metrics computed during training; each is logged under its registry name (`val_` for validation)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import PositiveInt

from dlkit.backend import keras
from dlkit.registry import KerasSpec, Registry, Spec
from dlkit.training.losses import Loss

METRICS = Registry("metric", "metrics")


class Metric(Spec):
    tasks: ClassVar[tuple[str, ...]] = ()

    def build(self, loss: Loss):
        """The Keras metric matching `loss`'s label format and output (probabilities or logits)."""
        raise NotImplementedError


def _from_logits(loss: Loss) -> bool:
    return bool(getattr(loss, "from_logits", False))


@METRICS.register(aliases=("acc",))
class Accuracy(Metric):
    """Share of correct predictions (class index, or a 0.5 threshold for binary)."""

    tasks = ("classification", "binary")

    def build(self, loss):
        m = keras().metrics
        if "binary" in loss.tasks:
            return m.BinaryAccuracy(threshold=0.0 if _from_logits(loss) else 0.5, name="accuracy")
        if loss.labels == "one_hot":
            return m.CategoricalAccuracy(name="accuracy")
        return m.SparseCategoricalAccuracy(name="accuracy")


@METRICS.register()
class TopKAccuracy(Metric):
    """Share of examples whose label is among the `k` highest scores."""

    tasks = ("classification",)
    k: PositiveInt = 5

    def build(self, loss):
        m = keras().metrics
        cls = m.TopKCategoricalAccuracy if loss.labels == "one_hot" else m.SparseTopKCategoricalAccuracy
        return cls(k=self.k, name="top_k_accuracy")


@METRICS.register()
class Auc(Metric):
    """Area under the ROC (or precision-recall) curve, for binary tasks."""

    tasks = ("binary",)
    curve: Literal["ROC", "PR"] = "ROC"

    def build(self, loss):
        return keras().metrics.AUC(curve=self.curve, from_logits=_from_logits(loss), name="auc")


@METRICS.register()
class Precision(Metric):
    """Precision of the positive class, for binary tasks."""

    tasks = ("binary",)

    def build(self, loss):
        threshold = 0.0 if _from_logits(loss) else 0.5
        return keras().metrics.Precision(thresholds=threshold, name="precision")


@METRICS.register()
class Recall(Metric):
    """Recall of the positive class, for binary tasks."""

    tasks = ("binary",)

    def build(self, loss):
        return keras().metrics.Recall(thresholds=0.0 if _from_logits(loss) else 0.5, name="recall")


class _Regression(Metric, KerasSpec):
    tasks = ("regression",)
    keras_module = "metrics"

    def build(self, loss):
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


#: The metrics a task gets when `train.metrics` is not given.
DEFAULT_METRICS = {"classification": ["accuracy"], "binary": ["accuracy", "auc"], "regression": ["mae"]}
