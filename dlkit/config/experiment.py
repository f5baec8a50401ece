"""The sections every experiment has. A task's config (`Task.config`, see `dlkit.tasks`) is a
subclass that narrows `model:`, `train:` and `eval:` to the keys the task takes, fills the task's
defaults and checks what spans sections."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_serializer, model_validator

from dlkit.config.data import DataConfig
from dlkit.config.evaluation import EvalConfig
from dlkit.config.model import ModelConfig
from dlkit.config.train import TrainConfig
from dlkit.config.tune import TuneConfig
from dlkit.core.errors import ConfigError
from dlkit.core.registries import TASKS
from dlkit.core.strict import Strict, clipped, did_you_mean, listed, raise_at

#: The task of a config that does not say `task:`.
DEFAULT_TASK = "classification"


class ExperimentConfig(Strict):
    name: str = Field("experiment", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    """Names the run folder, `runs/<name>-<stamp>`: letters, digits, `_`, `.`, `-`."""
    seed: int = 42
    task: str = DEFAULT_TASK
    """What the model learns (`dlkit list tasks`); it decides the keys `model:` and `train:` take."""
    backend: Literal["tensorflow", "jax", "torch"] | None = None
    """The Keras backend that trains the model (docs/backends.md); null takes $KERAS_BACKEND, else
    tensorflow where it is installed, else jax, else torch. `--backend` overrides it; a run folder's
    config.yaml and run.json name the one it used."""
    plugins: list[str] = []
    """Python files (relative to the config file that lists them) registering the user's own
    layers, datasets, steps, metrics, losses, callbacks or tasks (docs/extending.md). A run folder
    keeps a copy of each in `plugins/`."""
    data: DataConfig
    model: ModelConfig
    train: TrainConfig = TrainConfig()
    eval: EvalConfig = EvalConfig()
    tune: TuneConfig | None = None
    """The search `dlkit tune` runs; `dlkit train` trains the config as written."""

    @model_serializer(mode="wrap")
    def _without_empty_tune(self, handler) -> dict:
        """Configs without a search or plug-ins dump as they did before `tune:` and `plugins:`
        existed (resume compares them)."""
        data = handler(self)
        if data.get("tune", ...) is None:
            del data["tune"]
        if not data.get("plugins", ...):
            del data["plugins"]
        if data.get("backend", ...) is None:
            del data["backend"]
        return data

    @field_validator("task")
    @classmethod
    def _known_task(cls, name: str) -> str:
        return TASKS.canonical(name)

    @model_validator(mode="after")
    def _complete(self) -> ExperimentConfig:
        self.fill_defaults()
        self._scale_target()
        self._check_monitors()
        self._check_tuned_loss()
        return self

    def fill_defaults(self) -> None:
        """Fill what the task decides (its loss, metrics, monitor) and check what spans sections."""

    def tensorflow_only(self) -> dict[str, str]:
        """The keys this config sets that only the TensorFlow backend runs, each with why."""
        train = self.train
        keys = {}
        if getattr(train, "distribute", None) is not None:
            keys["train.distribute"] = "its strategies are tf.distribute's"
        if getattr(train, "adversarial", None) is not None:
            keys["train.adversarial"] = "its attack takes gradients with tf.GradientTape inside the train step"
        return keys

    def needs_tensorflow(self) -> dict[str, str]:
        """The keys this config sets that need TensorFlow installed whatever the backend (the
        TensorFlow backend's own, the dataset's, a callback's), each with why."""
        keys = dict(self.tensorflow_only())
        keys |= {f"data.{key}": why for key, why in self.data.loader().needs_tensorflow().items()}
        for i, callback in enumerate(self.train.callbacks):
            if callback.needs_tensorflow:
                keys[f"train.callbacks.{i}"] = f"{callback.type_name}: {callback.needs_tensorflow}"
        return keys

    def check_backend(self, backend: str) -> None:
        """Refuse, before any work, a key that needs TensorFlow where it is not installed, or that
        runs on the TensorFlow backend only when `backend` is another."""
        from dlkit.core.backend import TENSORFLOW_EXTRA, has_tensorflow

        if not has_tensorflow():
            for key, why in self.needs_tensorflow().items():
                raise ConfigError(f"{key}: needs TensorFlow ({why}), which is not installed here: {TENSORFLOW_EXTRA}")
        if backend == "tensorflow":
            return
        for key, why in self.tensorflow_only().items():
            raise ConfigError(
                f"{key}: runs on the TensorFlow backend only ({why}); the backend is {backend}: "
                "remove it, or train with --backend tensorflow"
            )

    def logged(self) -> dict[str, Literal["up", "down"]]:
        """What training logs per epoch, each with its direction (`up`: higher is better)."""
        raise NotImplementedError

    def monitor_direction(self) -> Literal["min", "max"]:
        """Whether the best checkpoint has the lowest or highest `train.checkpoint.monitor`."""
        checkpoint = self.train.checkpoint
        if checkpoint.mode != "auto":
            return checkpoint.mode
        return "max" if self.logged().get(checkpoint.monitor) == "up" else "min"

    def _scale_target(self) -> None:
        """`data.options.scale_target`: on by default for a task whose targets are numbers to
        scale, refused for the others (and left out of their resolved config); likewise
        `target_transform`, left out where not given so resolved configs (and resume's comparison
        of them) are as before it existed."""
        options = self.data.options
        if options.get("target_transform") is None:
            options.pop("target_transform", None)
        if TASKS.get(self.task).scales_targets:
            if options.get("scale_target") is None:
                options["scale_target"] = True
            if options.get("target_transform") == "standardize" and not options["scale_target"]:
                raise_at(
                    ("data", "options", "target_transform"),
                    "standardize is what scale_target: true does; remove scale_target: false or this",
                    "standardize",
                )
            return
        for key in ("scale_target", "target_transform"):
            if options.get(key) not in (None, False, "none"):
                scaling = [name for name in TASKS.names() if TASKS.get(name).scales_targets]
                raise_at(
                    ("data", "options", key),
                    f"only for task {' or '.join(scaling)} (task is {self.task!r})",
                    options[key],
                )
            options.pop(key, None)

    def _check_monitors(self) -> None:
        logged = self.logged()
        places: list[tuple[tuple, Any]] = [(("train", "checkpoint", "monitor"), self.train.checkpoint.monitor)]
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
            tune.direction = tune.direction or ("maximize" if logged.get(tune.metric) == "up" else "minimize")
            places.append((("tune", "metric"), tune.metric))
        for loc, monitor in places:
            if monitor is not None and monitor not in logged:
                no_val = monitor.startswith("val_") and monitor[4:] in logged and not self.data.split.has_validation
                why = " (data.split.validation is 0, so nothing val_ is logged)" if no_val else ""
                raise_at(loc, f"{clipped(monitor)} is not logged{why}; {did_you_mean(monitor, logged)}", monitor)

    def _check_tuned_loss(self) -> None:
        """A search over `data.options.target_transform` cannot rank its trials by their loss: each
        trial's loss is in its own space (log(price) against price)."""
        key = "data.options.target_transform"
        if self.tune is None or key not in self.tune.space or self.tune.metric.removeprefix("val_") != "loss":
            return
        others = [name for name in self.logged() if name.startswith("val_") and name != "val_loss"]
        raise_at(
            ("tune", "metric"),
            f"{self.tune.metric} is in each trial's own {key} space, so trials would not compare; "
            f"judge them by a metric in the target's units: one of {listed(others or list(self.logged()))}",
            self.tune.metric,
        )
