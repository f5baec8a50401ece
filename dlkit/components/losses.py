"""Losses, each saying which model outputs it scores (its head) and which label format it needs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveFloat

from dlkit.core.registries import LOSSES
from dlkit.core.registry import KerasSpec

#: What a model's last layer gives, which decides the losses and metrics that fit: `softmax`, one
#: score per class of which one is right; `sigmoid`, independent probabilities (one unit for two
#: classes, or one per label); `linear`, values. With `from_logits` the activation is left out.
Head = Literal["softmax", "sigmoid", "linear"]


class Loss(KerasSpec):
    keras_module = "losses"
    head: ClassVar[Head]
    #: `one_hot`: integer labels are one-hot encoded for this loss (in the input pipeline).
    labels: ClassVar[str] = "as_is"


@LOSSES.register()
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer class labels (the usual multi-class loss)."""

    keras_class = "SparseCategoricalCrossentropy"
    head = "softmax"
    from_logits: bool = False
    """True when the last layer has no softmax."""


@LOSSES.register()
class CategoricalCrossentropy(Loss):
    """Cross-entropy on one-hot labels (dlkit one-hot encodes them); allows label smoothing."""

    keras_class = "CategoricalCrossentropy"
    head = "softmax"
    labels = "one_hot"
    from_logits: bool = False
    label_smoothing: float = Field(0.0, ge=0, lt=1)


@LOSSES.register()
class BinaryCrossentropy(Loss):
    """Cross-entropy of sigmoid outputs: one unit for two classes, or one per label (multi-label)."""

    keras_class = "BinaryCrossentropy"
    head = "sigmoid"
    from_logits: bool = False
    label_smoothing: float = Field(0.0, ge=0, lt=1)


@LOSSES.register(aliases=("mse",))
class MeanSquaredError(Loss):
    """Mean squared error, for regression."""

    keras_class = "MeanSquaredError"
    head = "linear"


@LOSSES.register(aliases=("mae",))
class MeanAbsoluteError(Loss):
    """Mean absolute error, for regression."""

    keras_class = "MeanAbsoluteError"
    head = "linear"


@LOSSES.register()
class Huber(Loss):
    """Huber loss: squared near zero, absolute beyond `delta`; robust regression."""

    keras_class = "Huber"
    head = "linear"
    delta: PositiveFloat = 1.0


class _Dice(Loss):
    """Soft Dice of per-pixel scores against integer masks (`dlkit.layers.custom.SoftDice`)."""

    from_logits: bool = False
    """True when the last layer has no activation."""
    #: Adds the matching cross-entropy (the sum of the two losses).
    crossentropy: ClassVar[bool] = False

    def build(self):
        from dlkit.layers.custom import SoftDice

        return SoftDice(from_logits=self.from_logits, crossentropy=self.crossentropy)


@LOSSES.register()
class Dice(_Dice):
    """Soft Dice loss over K softmax classes per pixel (segmentation), against integer masks."""

    head = "softmax"


@LOSSES.register()
class CrossentropyDice(_Dice):
    """Sparse categorical cross-entropy plus soft Dice, per pixel over K softmax classes (segmentation)."""

    head = "softmax"
    crossentropy = True


@LOSSES.register()
class BinaryDice(_Dice):
    """Soft Dice loss of one sigmoid foreground channel per pixel (segmentation), against 0/1 masks."""

    head = "sigmoid"


@LOSSES.register()
class BinaryCrossentropyDice(_Dice):
    """Binary cross-entropy plus soft Dice of one sigmoid foreground channel per pixel (segmentation)."""

    head = "sigmoid"
    crossentropy = True
