"""Regression targets learned in another space (`data.options.target_transform`): the layer that
ends the model, mapping the network's output back to the target's units, and the loss that
compares labels and predictions in the learned space. Both are registered serializables, so
`model.keras` and the checkpoints load in safe mode. Imports Keras: load it lazily."""

from __future__ import annotations

import math

from dlkit.core.backend import keras

k = keras()

#: The transforms with an inverse of their own (`none` and `standardize` end in `scale_target`'s
#: Rescaling), y = exp(v) and y = exp(v) - 1 of the rescaled output v, and where v is clipped
#: before exp, in float32: exp(80) = 5.5e34 is finite (float32's largest is 3.4e38 = exp(88.7)),
#: so no prediction overflows to inf; exp(-80) = 1.8e-35 > 0, so a `log` prediction is never 0;
#: exp(-16) - 1 = -0.99999988 > -1, the smallest `log1p` prediction (below -16 float32's
#: exp(v) - 1 rounds to -1 exactly).
BOUNDS = {"log": (-80.0, 80.0), "log1p": (-16.0, 80.0)}


def forward(transform: str, y):
    """`y` in the space the loss compares: log(y) or log1p(y). A value at or below the transform's
    edge (a baseline's negative price, a test target of 0) counts as the smallest value the model
    can predict, so the loss stays finite."""
    ops, low = k.ops, BOUNDS[transform][0]
    if transform == "log":
        return ops.log(ops.maximum(y, math.exp(low)))
    return ops.log1p(ops.maximum(y, math.expm1(low)))


@k.saving.register_keras_serializable(package="dlkit")
class TargetTransform(k.layers.Layer):
    """The last layer of a model whose targets are learned as log(y) or log1p(y): the network's
    output z, rescaled to v = mean + std * z (`scale_target`'s statistics of the transformed
    training targets; 0 and 1 without it), clipped to `BOUNDS`, is answered as exp(v) (`log`: > 0
    always) or exp(v) - 1 (`log1p`: > -1). exp(v) - 1 rather than expm1, which ONNX has no operator
    for. The statistics are config, not weights, as in Keras's Rescaling."""

    def __init__(self, transform, mean=0.0, std=1.0, low=None, high=None, **kwargs):
        super().__init__(**kwargs)
        if transform not in BOUNDS:
            raise ValueError(f"TargetTransform takes a transform of {tuple(BOUNDS)}. Received: transform={transform!r}")
        self.transform, self.mean, self.std, self.low, self.high = transform, mean, std, low, high

    def call(self, inputs):
        ops = k.ops
        low, high = BOUNDS[self.transform]
        mean, std = (ops.convert_to_tensor(value, dtype=self.compute_dtype) for value in (self.mean, self.std))
        learned = ops.clip(inputs * std + mean, low, high)
        if self.low is not None:  # the training range, widened (`learned_range`)
            bounds = (ops.convert_to_tensor(value, dtype=self.compute_dtype) for value in (self.low, self.high))
            learned = ops.minimum(ops.maximum(learned, next(bounds)), next(bounds))
        grown = ops.exp(learned)
        return grown if self.transform == "log" else grown - 1.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"transform": self.transform, "mean": self.mean, "std": self.std, "low": self.low, "high": self.high}
        return {**super().get_config(), **config}


#: How far past the training targets' range a prediction may go, as a share of that range in the
#: learned space: exp turns a network's linear extrapolation on an outlying row into a number
#: without bound (a diamond of impossible dimensions was priced at millions of dollars).
MARGIN = 0.1


def learned_range(learned) -> tuple[list[float], list[float]]:
    """The bounds of each target column in the learned space: the training split's range, widened
    by MARGIN of it on each side (diamonds' log prices 5.79..9.84: predictions $217..$28,200)."""
    import numpy as np

    learned = np.asarray(learned, dtype="float64").reshape(len(learned), -1)
    low, high = learned.min(axis=0), learned.max(axis=0)
    margin = MARGIN * (high - low)
    return (low - margin).tolist(), (high + margin).tolist()


@k.saving.register_keras_serializable(package="dlkit")
class TransformedLoss(k.losses.Loss):
    """`loss` of the labels and the predictions both in the learned space, forward(transform, .):
    with `log`, the squared error of log(price), the relative error a price model should weigh.
    It keeps the inner loss's name and reduction; sample weights apply as to the inner loss."""

    def __init__(self, loss, transform, name=None, reduction=None, dtype=None):
        if isinstance(loss, dict):
            loss = k.saving.deserialize_keras_object(loss)
        if transform not in BOUNDS:
            raise ValueError(f"TransformedLoss takes a transform of {tuple(BOUNDS)}. Received: transform={transform!r}")
        reduction = loss.reduction if reduction is None else reduction
        super().__init__(name=name or loss.name, reduction=reduction, dtype=dtype)
        self.loss, self.transform = loss, transform

    def call(self, y_true, y_pred):
        return self.loss.call(forward(self.transform, y_true), forward(self.transform, y_pred))

    def get_config(self):
        inner = k.saving.serialize_keras_object(self.loss)
        return {**super().get_config(), "loss": inner, "transform": self.transform}
