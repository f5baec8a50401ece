"""`train:` epochs, callbacks, checkpointing and how to compute, which every task takes; the
optimizer, loss and metrics of the tasks that learn from labels (`SupervisedTrainConfig`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from dlkit.config.adversarial import AdversarialConfig
from dlkit.config.distill import DistillConfig
from dlkit.config.distribute import DistributeConfig
from dlkit.config.prune import PruneConfig
from dlkit.config.track import MlflowTrack
from dlkit.config.transfer import Phase
from dlkit.core.registries import CALLBACKS, LOSSES, METRICS, OPTIMIZERS, SCHEDULES
from dlkit.core.strict import Strict


class CheckpointConfig(Strict):
    monitor: str | None = "val_loss"
    """The logged quantity that picks the best epoch (`model.keras`, `checkpoints/best.keras`);
    null: the last epoch is the best (the default of tasks whose losses say little about quality)."""
    mode: Literal["auto", "min", "max"] = "auto"
    """`auto`: the quantity's own direction (max for accuracy, auc, f1 and the like, min for losses
    and errors)."""


class TrainConfig(Strict):
    """What every task's `train:` takes."""

    epochs: PositiveInt = 10
    callbacks: list[CALLBACKS.field] = []
    checkpoint: CheckpointConfig = CheckpointConfig()
    checkpoint_every: PositiveInt | None = None
    """Also save a resumable checkpoint every this many batches within an epoch (long epochs).
    Resuming from one goes on from that batch, as if the run had not stopped."""
    steps_per_execution: PositiveInt = 8
    """Batches run per call into TensorFlow: fewer round trips through Python, same results.
    Batch-level callbacks (progress bars) then see every 8th batch. 1 under `train.distribute`."""
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
    track: MlflowTrack | None = None
    """Also log the run to an experiment tracker: `{type: mlflow, uri: ./mlruns, experiment: NAME}`."""


class EnsembleConfig(Strict):
    """`train.ensemble`: a deep ensemble (Lakshminarayanan et al. 2017) of `model.layers`."""

    seeds: int = Field(ge=2)
    """How many copies of `model.layers` to train, each from its own random initial weights and
    on its own loss; `model.keras` predicts their mean (of the probabilities, for a softmax or
    sigmoid head). They train side by side in one model: the batches and the best epoch are shared."""


class SupervisedTrainConfig(TrainConfig):
    """`train:` of a task that fits one model to labels."""

    optimizer: OPTIMIZERS.field | None = None
    """Default: adam (learning rate 0.001)."""
    lr_schedule: SCHEDULES.field | None = None
    """How the learning rate changes over training (`dlkit list schedules`); default: constant."""
    loss: LOSSES.field | None = None
    """Default: the task's usual loss (sparse_categorical_crossentropy, binary_crossentropy, mse, ...)."""
    metrics: list[METRICS.field] | None = None
    """Default: the task's (accuracy for classification; accuracy and auc for binary; mae for regression)."""
    distill: DistillConfig | None = None
    """Train on a completed run's (the teacher's) softened outputs as well as on the labels
    (`{teacher: runs/NAME, temperature: 4, alpha: 0.1}`); tasks with a softmax head only."""

    prune: PruneConfig | None = None
    """Magnitude pruning of the kernels while training, to `target_sparsity` zeros by `end_epoch`
    (Zhu & Gupta's schedule); metrics.json then reports the sparsity and the gzipped weights' size."""

    adversarial: AdversarialConfig | None = None
    """Train on attacked examples too: `{method: pgd, eps: 0.1, steps: 7, ratio: 0.5}` replaces that
    share of each batch by PGD attacks on it (Madry et al. 2018); robustness for some clean accuracy."""

    distribute: DistributeConfig | None = None
    """Train on several devices of this machine at once (`{strategy: mirrored, devices: 2}`): the
    same result as one device, `data.batch_size` shared among them (docs/distributed.md)."""

    ensemble: EnsembleConfig | None = None
    """Train `{seeds: k}` copies of the model and predict their mean (a deep ensemble): k times the
    weights and the compute; `model.keras` is one model."""

    phases: list[Phase] | None = Field(None, min_length=1)
    """Train in stages, each recompiling with its own learning rate and unfreezing more of
    `model.backbone` (`[{epochs: 5}, {epochs: 10, unfreeze: {last_n: 2}, learning_rate: 1e-4}]`).
    `train.epochs` defaults to their sum; given, it is still the total (the phases stop there, or
    the last one goes on: `--set train.epochs=1` smoke runs, `--resume --extend-epochs`). Early
    stopping ends the run, whatever phase it is in."""

    @model_validator(mode="after")
    def _epochs_of_phases(self) -> SupervisedTrainConfig:
        if self.phases and "epochs" not in self.model_fields_set:
            self.epochs = sum(phase.epochs for phase in self.phases)
        return self

    @model_validator(mode="after")
    def _multi_worker_loop_has(self) -> SupervisedTrainConfig:
        if self.distribute is not None and self.distribute.strategy == "multi_worker":
            from dlkit.config.distribute import unsupported_by_multi_worker

            unsupported_by_multi_worker(self)
        return self

    @model_validator(mode="after")
    def _prune_fits(self) -> SupervisedTrainConfig:  # after the phases fixed the epochs
        if self.prune is not None:
            self.prune.check_against(self)
        return self


class ClassTrainConfig(SupervisedTrainConfig):
    """`train:` of a task whose labels are classes."""

    class_weight: Literal["balanced"] | dict[str | int, PositiveFloat] | None = None
    """Weigh each class's examples in the loss: `balanced` (inverse to its share of the training
    split) or a map from class name (or index) to weight; classes not named weigh 1."""
