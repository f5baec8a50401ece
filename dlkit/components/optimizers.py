"""Optimizers: `train.optimizer: {type: adam, learning_rate: 0.001, clipnorm: 1.0}`."""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, PositiveFloat

from dlkit.core.registries import OPTIMIZERS
from dlkit.core.registry import KerasSpec


class Optimizer(KerasSpec):
    keras_module = "optimizers"

    learning_rate: PositiveFloat = 0.001
    clipnorm: PositiveFloat | None = None
    """Clip each gradient to this norm."""
    clipvalue: PositiveFloat | None = None
    """Clip each gradient element to [-clipvalue, clipvalue]."""
    global_clipnorm: PositiveFloat | None = None
    """Clip all gradients together to this global norm."""

    def build(self, learning_rate=None):
        """The Keras optimizer; `learning_rate` (a schedule) replaces the configured rate."""
        args = self.args()
        if learning_rate is not None:
            args["learning_rate"] = learning_rate
        return self.keras_type()(**args)


@OPTIMIZERS.register()
class Sgd(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""

    keras_class = "SGD"
    learning_rate: PositiveFloat = 0.01
    momentum: float = Field(0.0, ge=0, lt=1)
    nesterov: bool = False


class _Moments(Optimizer):
    beta_1: float = Field(0.9, ge=0, lt=1)
    """Decay of the running mean of gradients."""
    beta_2: float = Field(0.999, ge=0, lt=1)
    """Decay of the running mean of squared gradients."""
    epsilon: PositiveFloat = 1e-7


@OPTIMIZERS.register()
class Adam(_Moments):
    """Adam: adaptive moment estimation."""

    keras_class = "Adam"
    amsgrad: bool = False


@OPTIMIZERS.register()
class Adamw(Adam):
    """Adam with decoupled weight decay."""

    keras_class = "AdamW"
    weight_decay: NonNegativeFloat = 0.004


@OPTIMIZERS.register()
class Nadam(_Moments):
    """Adam with Nesterov momentum."""

    keras_class = "Nadam"


@OPTIMIZERS.register()
class Rmsprop(Optimizer):
    """RMSprop: divide the gradient by a running average of its magnitude."""

    keras_class = "RMSprop"
    rho: float = Field(0.9, ge=0, lt=1)
    momentum: float = Field(0.0, ge=0, lt=1)
    epsilon: PositiveFloat = 1e-7
    centered: bool = False


@OPTIMIZERS.register()
class Adagrad(Optimizer):
    """Adagrad: per-parameter learning rates from accumulated squared gradients."""

    keras_class = "Adagrad"
    initial_accumulator_value: NonNegativeFloat = 0.1
    epsilon: PositiveFloat = 1e-7
