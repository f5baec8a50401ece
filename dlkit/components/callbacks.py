"""Callbacks a config can add (`train.callbacks`); checkpoints and history are always on."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveInt

from dlkit.core.backend import keras
from dlkit.core.registries import CALLBACKS
from dlkit.core.registry import Spec
from dlkit.core.writing import inside

Mode = Literal["auto", "min", "max"]


class Callback(Spec):
    #: Why the callback needs TensorFlow installed, whatever the backend ("": it does not).
    needs_tensorflow: ClassVar[str] = ""

    def build(self, run_dir: Path):
        raise NotImplementedError


@CALLBACKS.register()
class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs."""

    monitor: str = "val_loss"
    patience: NonNegativeInt = 3
    min_delta: NonNegativeFloat = 0.0
    mode: Mode = "auto"
    restore_best_weights: bool = True
    """End with the best epoch's weights rather than the last epoch's."""
    start_from_epoch: NonNegativeInt = 0

    def build(self, run_dir):
        return keras().callbacks.EarlyStopping(**self.args())


@CALLBACKS.register()
class ReduceLrOnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` stalls for `patience` epochs."""

    monitor: str = "val_loss"
    factor: float = Field(0.1, gt=0, lt=1)
    patience: NonNegativeInt = 2
    min_delta: NonNegativeFloat = 1e-4
    mode: Mode = "auto"
    cooldown: NonNegativeInt = 0
    min_lr: NonNegativeFloat = 0.0

    def build(self, run_dir):
        return keras().callbacks.ReduceLROnPlateau(**self.args())


@CALLBACKS.register()
class TerminateOnNan(Callback):
    """Stop as soon as the loss becomes NaN or infinite."""

    def build(self, run_dir):
        return keras().callbacks.TerminateOnNaN()


@CALLBACKS.register()
class Tensorboard(Callback):
    """Write TensorBoard logs under RUN/tensorboard (`tensorboard --logdir RUN/tensorboard`)."""

    needs_tensorflow = "Keras's TensorBoard callback writes with tf.summary"

    histogram_freq: NonNegativeInt = 0
    update_freq: Literal["epoch", "batch"] | PositiveInt = "epoch"
    write_graph: bool = False

    def build(self, run_dir):
        return keras().callbacks.TensorBoard(log_dir=str(inside(run_dir, "tensorboard")), **self.args())


def log_learning_rate():
    """Logs the learning rate each epoch started with (schedules included) into history.csv."""

    class LogLearningRate(keras().callbacks.Callback):
        epoch = rate = None  # saved in checkpoints: an epoch resumed inside keeps the rate it began with

        def on_epoch_begin(self, epoch, logs=None):
            if epoch != self.epoch:
                self.epoch, self.rate = epoch, float(keras().ops.convert_to_numpy(self.model.optimizer.learning_rate))

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["learning_rate"] = self.rate

    return LogLearningRate()
