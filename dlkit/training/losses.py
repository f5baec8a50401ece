"""Losses, each saying which tasks it fits and which label format it needs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveFloat

from dlkit.registry import KerasSpec, Registry

LOSSES = Registry("loss", "losses")

Task = Literal["classification", "binary", "regression"]


class Loss(KerasSpec):
    keras_module = "losses"
    tasks: ClassVar[tuple[str, ...]] = ()
    #: `one_hot`: integer labels are one-hot encoded for this loss (in the input pipeline).
    labels: ClassVar[str] = "as_is"


@LOSSES.register()
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer class labels (the usual multi-class loss)."""

    keras_class = "SparseCategoricalCrossentropy"
    tasks = ("classification",)
    from_logits: bool = False
    """True when the last layer has no softmax."""


@LOSSES.register()
class CategoricalCrossentropy(Loss):
    """Cross-entropy on one-hot labels (dlkit one-hot encodes them); allows label smoothing."""

    keras_class = "CategoricalCrossentropy"
    tasks = ("classification",)
    labels = "one_hot"
    from_logits: bool = False
    label_smoothing: float = Field(0.0, ge=0, lt=1)


@LOSSES.register()
class BinaryCrossentropy(Loss):
    """Cross-entropy for two classes, one sigmoid output."""

    keras_class = "BinaryCrossentropy"
    tasks = ("binary",)
    from_logits: bool = False
    label_smoothing: float = Field(0.0, ge=0, lt=1)


@LOSSES.register(aliases=("mse",))
class MeanSquaredError(Loss):
    """Mean squared error, for regression."""

    keras_class = "MeanSquaredError"
    tasks = ("regression",)


@LOSSES.register(aliases=("mae",))
class MeanAbsoluteError(Loss):
    """Mean absolute error, for regression."""

    keras_class = "MeanAbsoluteError"
    tasks = ("regression",)


@LOSSES.register()
class Huber(Loss):
    """Huber loss: squared near zero, absolute beyond `delta`; robust regression."""

    keras_class = "Huber"
    tasks = ("regression",)
    delta: PositiveFloat = 1.0


#: The loss a task gets when `train.loss` is not given.
DEFAULT_LOSS = {
    "classification": "sparse_categorical_crossentropy",
    "binary": "binary_crossentropy",
    "regression": "mean_squared_error",
}
