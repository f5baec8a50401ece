"""`train:` epochs, optimizer and its schedule, loss, metrics, callbacks, checkpointing, how to compute."""

from __future__ import annotations

from typing import Literal

from pydantic import PositiveFloat, PositiveInt

from dlkit.strict import Strict
from dlkit.training.callbacks import CALLBACKS
from dlkit.training.losses import LOSSES
from dlkit.training.metrics import METRICS
from dlkit.training.optimizers import OPTIMIZERS
from dlkit.training.schedules import SCHEDULES

#: Logged quantities where higher is better (`auto` checkpoint mode).
MAXIMISED = ("accuracy", "auc", "precision", "recall", "f1")


def higher_is_better(name: str) -> bool:
    return any(word in name for word in MAXIMISED)


class CheckpointConfig(Strict):
    monitor: str | None = "val_loss"
    """The logged quantity that picks the best epoch (`model.keras`, `checkpoints/best.keras`);
    null: the last epoch is the best. Task gan defaults to null: its losses say little about how
    good the samples are, and the last generator is the one the last sample grid shows."""
    mode: Literal["auto", "min", "max"] = "auto"
    """`auto`: max for accuracy/auc/precision/recall and the like, min otherwise."""

    def direction(self) -> Literal["min", "max"]:
        if self.mode != "auto" or self.monitor is None:
            return "min" if self.mode == "auto" else self.mode
        return "max" if higher_is_better(self.monitor) else "min"


class TrainConfig(Strict):
    epochs: PositiveInt = 10
    optimizer: OPTIMIZERS.field | None = None
    """Default: adam (learning rate 0.001). Task gan has one optimizer per network instead (below)."""
    generator_optimizer: OPTIMIZERS.field | None = None
    """Task gan only. Default: adam, learning rate 0.0002, beta_1 0.5 (the DCGAN paper's settings)."""
    discriminator_optimizer: OPTIMIZERS.field | None = None
    """Task gan only. Default: as the generator's."""
    sample_every: PositiveInt | None = None
    """Task gan only: write a grid of samples from a fixed latent batch to `samples/epoch_XXXX.png`
    every this many epochs, and after the last one. Default: 10."""
    lr_schedule: SCHEDULES.field | None = None
    """How the learning rate changes over training (`dlkit list schedules`); default: constant."""
    loss: LOSSES.field | None = None
    """Default: the task's usual loss (sparse_categorical_crossentropy, binary_crossentropy, mse)."""
    metrics: list[METRICS.field] | None = None
    """Default: accuracy (classification), accuracy and auc (binary), mae (regression)."""
    callbacks: list[CALLBACKS.field] = []
    checkpoint: CheckpointConfig = CheckpointConfig()
    checkpoint_every: PositiveInt | None = None
    """Also save a resumable checkpoint every this many batches within an epoch (long epochs).
    Resuming from one goes on from that batch, as if the run had not stopped."""
    class_weight: Literal["balanced"] | dict[str | int, PositiveFloat] | None = None
    """Weigh each class's examples in the loss: `balanced` (inverse to its share of the training
    split) or a map from class name (or index) to weight; classes not named weigh 1."""
    steps_per_execution: PositiveInt = 8
    """Batches run per call into TensorFlow: fewer round trips through Python, same results.
    Batch-level callbacks (progress bars) then see every 8th batch."""
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"
    """Mixed precision computes in 16 bits with float32 weights: faster on GPUs with tensor cores
    (float16) or CPUs/TPUs with bfloat16 units, slower elsewhere."""
    jit_compile: Literal["auto"] | bool = "auto"
    """Compile with XLA; `auto` lets Keras decide (off on CPU, where it measured slower)."""
    deterministic: bool = True
    """Deterministic TF ops: the same config and seed give the same metrics on the same machine."""
    max_params: PositiveInt | None = None
    """Refuse a model with more parameters than this, before anything is allocated (a guard for
    shared machines and for configs from elsewhere). A model that would not fit in the memory
    available (weights, gradients, optimizer state) is refused anyway."""
