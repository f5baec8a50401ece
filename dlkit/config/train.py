"""`train:` epochs, optimizer, loss, metrics, callbacks, checkpointing."""

from __future__ import annotations

from typing import Literal

from pydantic import PositiveInt

from dlkit.strict import Strict
from dlkit.training.callbacks import CALLBACKS
from dlkit.training.losses import LOSSES
from dlkit.training.metrics import METRICS
from dlkit.training.optimizers import OPTIMIZERS

#: Logged quantities where higher is better (`auto` checkpoint mode).
MAXIMISED = ("accuracy", "auc", "precision", "recall", "f1")


class CheckpointConfig(Strict):
    monitor: str = "val_loss"
    """The logged quantity that picks the best epoch (`model.keras`, `checkpoints/best.keras`)."""
    mode: Literal["auto", "min", "max"] = "auto"
    """`auto`: max for accuracy/auc/precision/recall and the like, min otherwise."""

    def direction(self) -> Literal["min", "max"]:
        if self.mode != "auto":
            return self.mode
        return "max" if any(word in self.monitor for word in MAXIMISED) else "min"


class TrainConfig(Strict):
    epochs: PositiveInt = 10
    optimizer: OPTIMIZERS.field = "adam"
    loss: LOSSES.field | None = None
    """Default: the task's usual loss (sparse_categorical_crossentropy, binary_crossentropy, mse)."""
    metrics: list[METRICS.field] | None = None
    """Default: accuracy (classification), accuracy and auc (binary), mae (regression)."""
    callbacks: list[CALLBACKS.field] = []
    checkpoint: CheckpointConfig = CheckpointConfig()
    steps_per_execution: PositiveInt = 1
    """Batches run per call into TensorFlow; more cuts Python overhead for small models."""
    deterministic: bool = True
    """Deterministic TF ops: the same config and seed give the same metrics on the same machine."""
