"""The whole experiment file, with the checks that span sections and the task's defaults."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from dlkit.config.data import DataConfig
from dlkit.config.evaluation import REPORT_METRICS, EvalConfig
from dlkit.config.model import GAN_KEYS, GanModelConfig, ModelConfig
from dlkit.config.train import CheckpointConfig, TrainConfig, higher_is_better
from dlkit.config.tune import TuneConfig
from dlkit.strict import Strict, clipped, did_you_mean, listed, raise_at
from dlkit.training.losses import DEFAULT_LOSS, LOSSES
from dlkit.training.metrics import DEFAULT_METRICS, METRICS
from dlkit.training.optimizers import OPTIMIZERS

Task = Literal["classification", "binary", "regression", "gan"]

#: What a GAN logs per epoch (see `dlkit.gan.network.GAN`).
GAN_LOGS = ["d_loss", "g_loss", "d_real_acc", "d_fake_acc"]
#: Both GAN optimizers' default: the DCGAN paper's Adam.
GAN_OPTIMIZER = {"type": "adam", "learning_rate": 0.0002, "beta_1": 0.5}
GAN_SAMPLE_EVERY = 10


def _for_task(registry, task: str) -> list[str]:
    """The names of `registry` (losses, metrics) whose entries fit `task`."""
    return [name for name in registry.names() if task in registry.get(name).tasks]


class ExperimentConfig(Strict):
    name: str = Field("experiment", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    """Names the run folder, `runs/<name>-<stamp>`: letters, digits, `_`, `.`, `-`."""
    seed: int = 42
    task: Task = "classification"
    data: DataConfig
    model: ModelConfig | GanModelConfig
    """`layers:`; for task gan `latent_dim:`, `generator:` and `discriminator:`, each with `layers:`."""
    train: TrainConfig = TrainConfig()
    eval: EvalConfig = EvalConfig()
    tune: TuneConfig | None = None
    """The search `dlkit tune` runs; `dlkit train` trains the config as written."""

    @model_serializer(mode="wrap")
    def _without_empty_tune(self, handler) -> dict:
        """Configs without a search dump as they did before `tune:` existed (resume compares them)."""
        data = handler(self)
        if data.get("tune", ...) is None:
            del data["tune"]
        return data

    @field_validator("task", mode="before")
    @classmethod
    def _known_task(cls, value: Any) -> Any:
        tasks = get_args(Task)
        if value not in tasks:  # one line with a hint, not pydantic's list of literals
            raise PydanticCustomError("dlkit", f"unknown task {clipped(value)}; {did_you_mean(value, tasks)}")
        return value

    @field_validator("model", mode="before")
    @classmethod
    def _model_of_the_task(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, dict):
            return value
        task = info.data.get("task")
        if task == "gan" or (task is None and GAN_KEYS & value.keys()):
            if "layers" in value:
                raise_at(
                    ("layers",), "not used by task gan; give model.generator and model.discriminator, each with layers:"
                )
            for side, what in (("generator", "latent vector -> image"), ("discriminator", "image -> one logit")):
                if side not in value:
                    raise_at((side,), f"required for task gan ({what}): {{layers: [...]}}")
            return GanModelConfig.model_validate(value)
        for key in sorted(GAN_KEYS & value.keys()):
            raise_at((key,), f"only for task gan (task is {task!r}); other tasks take model.layers")
        return ModelConfig.model_validate(value)

    @model_validator(mode="after")
    def _fit_the_task(self) -> ExperimentConfig:
        if self.task == "gan":
            self._fit_gan()
        else:
            self._fit_supervised()
        fitting = REPORT_METRICS[self.task]
        if self.eval.metrics is None:
            self.eval.metrics = sorted(fitting)
        for i, name in enumerate(self.eval.metrics):
            if name not in fitting:
                raise_at(
                    ("eval", "metrics", i),
                    f"{clipped(name)} does not fit task {self.task!r}; metrics for task {self.task!r}: "
                    f"{listed(sorted(fitting))}",
                    name,
                )
        self._check_monitors()
        self._check_training_options()
        return self

    def _fit_supervised(self) -> None:
        train = self.train
        for key in ("generator_optimizer", "discriminator_optimizer", "sample_every"):
            if getattr(train, key) is not None:
                raise_at(("train", key), f"only for task gan (task is {self.task!r})")
        if train.optimizer is None:
            train.optimizer = OPTIMIZERS.parse("adam")
        if train.loss is None:
            train.loss = LOSSES.parse(DEFAULT_LOSS[self.task])
        elif self.task not in train.loss.tasks:
            raise_at(
                ("train", "loss", "type"),
                f"{train.loss.type_name!r} does not fit task {self.task!r}; use one of "
                f"{listed(_for_task(LOSSES, self.task))}",
                train.loss.type_name,
            )
        if train.metrics is None:
            train.metrics = [METRICS.parse(m) for m in DEFAULT_METRICS[self.task]]
        for i, metric in enumerate(train.metrics):
            if self.task not in metric.tasks:
                raise_at(
                    ("train", "metrics", i),
                    f"{metric.type_name!r} does not fit task {self.task!r}; metrics for task {self.task!r}: "
                    f"{listed(_for_task(METRICS, self.task))}",
                    metric.type_name,
                )

    def _fit_gan(self) -> None:
        """A GAN's losses, metrics and optimizers are its own; it trains on preprocessed images
        without validation, and `dlkit generate` maps samples back to pixels."""
        train, data = self.train, self.data
        unused = {
            "optimizer": "set train.generator_optimizer and train.discriminator_optimizer",
            "loss": "the losses are the non-saturating GAN losses (binary cross-entropy on logits)",
            "lr_schedule": "each optimizer takes a constant learning_rate",
            "class_weight": "a GAN ignores the labels",
        }
        for key, why in unused.items():
            if getattr(train, key) is not None:
                raise_at(("train", key), f"not used by task gan: {why}")
        if train.metrics:
            raise_at(("train", "metrics"), f"not used by task gan: it logs {', '.join(GAN_LOGS)}")
        if train.precision != "float32":
            raise_at(("train", "precision"), "task gan trains in float32", train.precision)
        for i, callback in enumerate(train.callbacks):
            if callback.type_name == "reduce_lr_on_plateau":
                raise_at(("train", "callbacks", i, "type"), "not supported for task gan (two optimizers)")
        train.metrics = []
        for key in ("generator_optimizer", "discriminator_optimizer"):
            if getattr(train, key) is None:
                setattr(train, key, OPTIMIZERS.parse(GAN_OPTIMIZER))
        if train.sample_every is None:
            train.sample_every = GAN_SAMPLE_EVERY
        if "monitor" not in train.checkpoint.model_fields_set:
            train.checkpoint = CheckpointConfig(monitor=None, mode=train.checkpoint.mode)
        if data.augment:
            raise_at(
                ("data", "augment"),
                "not supported for task gan (the discriminator sees real and generated images alike)",
            )
        for i, step in enumerate(data.preprocess):
            if step.fitted:
                raise_at(
                    ("data", "preprocess", i, "type"),
                    f"{step.type_name!r} is fitted on the data, which task gan does not support "
                    "(generated samples could not be mapped back to pixels); use rescale",
                    step.type_name,
                )
        if "validation" not in data.split.model_fields_set:
            data.split = data.split.model_copy(update={"validation": 0.0})
        elif data.split.validation != 0:
            raise_at(
                ("data", "split", "validation"), "task gan trains without validation; set 0", data.split.validation
            )

    def _check_training_options(self) -> None:
        train, options = self.train, self.data.options
        if options.get("scale_target") and self.task != "regression":
            raise_at(("data", "options", "scale_target"), f"only for task regression (task is {self.task!r})", True)
        if self.task == "regression" and options.get("scale_target") is None:
            options["scale_target"] = True
        elif "scale_target" in options and options["scale_target"] is None:
            del options["scale_target"]  # no target to scale: the resolved config stays as it was
        if train.class_weight is not None and self.task == "regression":
            raise_at(("train", "class_weight"), "class weights need a classification or binary task")
        if train.lr_schedule is not None:
            for i, callback in enumerate(train.callbacks):
                if callback.type_name == "reduce_lr_on_plateau":
                    raise_at(
                        ("train", "lr_schedule"),
                        f"train.callbacks.{i} (reduce_lr_on_plateau) also sets the learning rate; keep one of the two",
                    )

    def logged_names(self) -> list[str]:
        """What training logs per epoch: the loss and metrics, and their `val_` twins."""
        if self.task == "gan":
            return list(GAN_LOGS)
        names = ["loss", *(m.logged_name for m in self.train.metrics)]
        return names + [f"val_{n}" for n in names] if self.data.split.has_validation else names

    def _check_monitors(self) -> None:
        logged = self.logged_names()
        places = [(("train", "checkpoint", "monitor"), self.train.checkpoint.monitor)]
        places += [
            (("train", "callbacks", i, "monitor"), cb.monitor)
            for i, cb in enumerate(self.train.callbacks)
            if hasattr(cb, "monitor")
        ]
        if self.tune is not None:
            tune = self.tune
            tune.metric = tune.metric or self.train.checkpoint.monitor
            if tune.metric is None:
                raise_at(("tune", "metric"), f"required here (nothing is checkpointed on); one of {listed(logged)}")
            tune.direction = tune.direction or ("maximize" if higher_is_better(tune.metric) else "minimize")
            places.append((("tune", "metric"), tune.metric))
        for loc, monitor in places:
            if monitor is not None and monitor not in logged:
                no_val = monitor.startswith("val_") and not self.data.split.has_validation and self.task != "gan"
                why = " (data.split.validation is 0, so nothing val_ is logged)" if no_val else ""
                raise_at(loc, f"{clipped(monitor)} is not logged{why}; {did_you_mean(monitor, logged)}", monitor)
