"""The whole experiment file, with the checks that span sections and the task's defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_serializer, model_validator

from dlkit.config.data import DataConfig
from dlkit.config.evaluation import REPORT_METRICS, EvalConfig
from dlkit.config.model import ModelConfig
from dlkit.config.train import TrainConfig, higher_is_better
from dlkit.config.tune import TuneConfig
from dlkit.strict import Strict, did_you_mean, raise_at
from dlkit.training.losses import DEFAULT_LOSS, LOSSES
from dlkit.training.metrics import DEFAULT_METRICS, METRICS

Task = Literal["classification", "binary", "regression"]


class ExperimentConfig(Strict):
    name: str = Field("experiment", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    """Names the run folder, `runs/<name>-<stamp>`: letters, digits, `_`, `.`, `-`."""
    seed: int = 42
    task: Task = "classification"
    data: DataConfig
    model: ModelConfig
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

    @model_validator(mode="after")
    def _fit_the_task(self) -> ExperimentConfig:
        train = self.train
        if train.loss is None:
            train.loss = LOSSES.parse(DEFAULT_LOSS[self.task])
        elif self.task not in train.loss.tasks:
            fitting = [n for n in LOSSES.names() if self.task in LOSSES.get(n).tasks]
            raise_at(
                ("train", "loss", "type"),
                f"{train.loss.type_name!r} does not fit task {self.task!r}; use one of {', '.join(fitting)}",
                train.loss.type_name,
            )
        if train.metrics is None:
            train.metrics = [METRICS.parse(m) for m in DEFAULT_METRICS[self.task]]
        for i, metric in enumerate(train.metrics):
            if self.task not in metric.tasks:
                raise_at(
                    ("train", "metrics", i),
                    f"{metric.type_name!r} does not fit task {self.task!r}",
                    metric.type_name,
                )
        fitting = REPORT_METRICS[self.task]
        if self.eval.metrics is None:
            self.eval.metrics = sorted(fitting)
        for i, name in enumerate(self.eval.metrics):
            if name not in fitting:
                raise_at(("eval", "metrics", i), f"{name!r} does not fit task {self.task!r}", name)
        self._check_monitors()
        self._check_training_options()
        return self

    def _check_training_options(self) -> None:
        train = self.train
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
            tune.direction = tune.direction or ("maximize" if higher_is_better(tune.metric) else "minimize")
            places.append((("tune", "metric"), tune.metric))
        for loc, monitor in places:
            if monitor not in logged:
                no_val = monitor.startswith("val_") and not self.data.split.has_validation
                why = " (data.split.validation is 0, so nothing val_ is logged)" if no_val else ""
                raise_at(loc, f"{monitor!r} is not logged{why}; {did_you_mean(monitor, logged)}", monitor)
