"""What the tasks that fit one model to labels share: their config (one `model.layers`, one
optimizer, a loss and metrics that fit the task's head) and the standard training session,
evaluation and dry run. Each task says its head, defaults, labels, reports and predict rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from dlkit.components.losses import Head
from dlkit.config.evaluation import SupervisedEvalConfig
from dlkit.config.experiment import ExperimentConfig
from dlkit.config.model import ModelConfig
from dlkit.config.train import SupervisedTrainConfig
from dlkit.core.errors import ConfigError
from dlkit.core.registries import LOSSES, METRICS, OPTIMIZERS, TASKS
from dlkit.core.strict import clipped, listed, raise_at
from dlkit.data.targets import MASKS
from dlkit.engine.task import Baseline, Report, Table, Task

if TYPE_CHECKING:
    import numpy as np

    from dlkit.engine.described import Described


class SupervisedConfig(ExperimentConfig):
    """An experiment that fits `model.layers` to labels."""

    model: ModelConfig
    train: SupervisedTrainConfig = SupervisedTrainConfig()
    eval: SupervisedEvalConfig = SupervisedEvalConfig()

    def fill_defaults(self) -> None:
        task: type[SupervisedTask] = TASKS.get(self.task)
        train, head = self.train, task.head_of(self)
        if train.optimizer is None:
            train.optimizer = OPTIMIZERS.parse("adam")
        if train.loss is None:
            train.loss = LOSSES.parse(task.default_loss)
        elif train.loss.head != head:
            fitting = [n for n in LOSSES.names() if LOSSES.get(n).head == head]
            raise_at(
                ("train", "loss", "type"),
                f"{train.loss.type_name!r} does not fit task {self.task!r}; use one of {listed(fitting)}",
                train.loss.type_name,
            )
        if train.metrics is None:
            train.metrics = [METRICS.parse(m) for m in task.default_metrics]
        for i, metric in enumerate(train.metrics):
            if not task.takes_metric(metric, head):
                fitting = [n for n in METRICS.names() if task.takes_metric(METRICS.get(n), head)]
                raise_at(
                    ("train", "metrics", i),
                    f"{metric.type_name!r} does not fit task {self.task!r}; metrics for task {self.task!r}: "
                    f"{listed(fitting)}",
                    metric.type_name,
                )
        if self.eval.metrics is None:
            self.eval.metrics = sorted(task.report_metrics)
        for i, name in enumerate(self.eval.metrics):
            if name not in task.report_metrics:
                raise_at(
                    ("eval", "metrics", i),
                    f"{clipped(name)} does not fit task {self.task!r}; metrics for task {self.task!r}: "
                    f"{listed(sorted(task.report_metrics))}",
                    name,
                )
        if train.distill is not None and head != "softmax":
            softmax = [name for name in TASKS.names() if getattr(TASKS.get(name), "head", None) == "softmax"]
            raise_at(
                ("train", "distill"),
                f"distillation learns from the teacher's class probabilities (a softmax over the classes): "
                f"task {listed(softmax)} only (task is {self.task!r})",
            )
        if train.lr_schedule is not None:
            for i, callback in enumerate(train.callbacks):
                if callback.type_name == "reduce_lr_on_plateau":
                    raise_at(
                        ("train", "lr_schedule"),
                        f"train.callbacks.{i} (reduce_lr_on_plateau) also sets the learning rate; keep one of the two",
                    )
        if train.ensemble is not None:
            self._check_ensemble()

    def _check_ensemble(self) -> None:
        """`train.ensemble` copies `model.layers`, which must not be an ensemble trained per member
        already, nor share a backbone's weights among the copies."""
        last = self.model.layers[-1]
        if last.trains_members:
            raise_at(
                ("train", "ensemble"),
                f"model.layers.{len(self.model.layers) - 1} ({last.type_name}) already trains an ensemble "
                "member by member; keep one of the two (or set its member_loss: false)",
            )
        if self.model.backbone is not None:
            raise_at(("train", "ensemble"), "its copies would share model.backbone's weights; leave out one of the two")

    def logged(self) -> dict[str, Literal["up", "down"]]:
        names: dict[str, Literal["up", "down"]] = {"loss": "down"}
        names |= {m.logged_name: m.direction for m in self.train.metrics}
        if self.data.split.has_validation:
            names |= {f"val_{n}": d for n, d in names.items()}
        return names


class SupervisedTask(Task):
    """A task that fits one model to labels, with the standard training session."""

    config = SupervisedConfig
    #: What the last layer gives (see `dlkit.components.losses.Head`); losses and metrics must fit it.
    head: ClassVar[Head]
    default_loss: ClassVar[str]
    default_metrics: ClassVar[tuple[str, ...]]
    #: The `eval.metrics` it can report; `eval.metrics` defaults to all of them.
    report_metrics: ClassVar[frozenset[str]] = frozenset()
    #: The test figures `dlkit runs` shows, the first one present.
    headlines: ClassVar[tuple[str, ...]] = ()
    #: The scikit-learn models a table's run is compared with (`dlkit.tasks.classical`): `classifier`s
    #: or `regressor`s; None: none.
    classical: ClassVar[str | None] = None

    @classmethod
    def takes_metric(cls, metric, head: Head) -> bool:
        """Whether `metric` (a metric config or its class) scores what this task predicts with `head`:
        per-pixel metrics (`dice`, `mean_iou`) only a task that learns masks."""
        return head in metric.heads and (not metric.masks or MASKS in (cls.targets or ()))

    @classmethod
    def head_of(cls, config: SupervisedConfig) -> Head:
        """The head of this task in `config` (a task whose head depends on its loss overrides this)."""
        return cls.head

    # --- the last layer ---

    def output_units(self, class_names: list[str], target_dim: int) -> int:
        """How many numbers per example the last layer must give."""
        raise NotImplementedError

    def output_meaning(self, units: int) -> str:
        """What those numbers are, for the message when the last layer gives another count."""
        return f"{units} outputs"

    def units_known(self, class_names: list[str] | None) -> bool:
        """Whether a dry run (no data read) knows enough to check the last layer."""
        return True

    def layer_problems(self, peek) -> list[tuple[tuple, str]]:
        from dlkit.tasks.last_layer import layer_problems

        return layer_problems(self, self.expected_units(peek))

    def expected_units(self, peek) -> tuple[int, str] | None:
        """The last layer's units for the data `peek` describes, and why (None: not known)."""
        return None

    def check_output(self, model, data) -> None:
        self.check_units(model, data.class_names, data.target_dim)

    def check_units(self, model, class_names: list[str], target_dim: int) -> None:
        units, expected = model.output_shape[-1], self.output_units(class_names, target_dim)
        if units != expected:
            raise ConfigError(
                f"model.layers.{len(self.config.model.layers) - 1}: the last layer gives {units} outputs per "
                f"example, but {self.config.data.dataset} has {self.output_meaning(expected)}; set units: {expected}"
            )

    def dry_run_models(self, info) -> dict[str, Any]:
        from dlkit.model.build import build_model

        config = self.config
        model = build_model(config, config.data.loader().model_input(info.shape), info.kind)
        if self.units_known(info.class_names):
            self.check_units(model, info.class_names or [], 1)
        if config.train.prune is not None:
            from dlkit.training.addons.prune import kernels

            kernels(model, config.train.prune.layers)  # every type to prune is in the model, with a kernel
        return {"model": model}

    # --- results ---

    def headline(self, metrics: dict[str, float]) -> dict[str, float]:
        name = next((n for n in (*self.headlines, "loss") if n in metrics), None)
        return {name: metrics[name]} if name else {}

    def baselines(self, data, names: list[str]) -> list[Baseline]:
        """The task's constant predictions (`constant_baselines`), those the data makes possible
        (`data_baselines`) and, for a table, the classical models of `classical` fitted on the
        training split."""
        import numpy as np

        splits = {name: data.scored(name, self.config.seed) for name in names}
        found = [
            Baseline(baseline, {name: np.broadcast_to(row, (len(split), *row.shape)) for name, split in splits.items()})
            for baseline, row in self.constant_baselines(data).items()
        ]
        found += self.data_baselines(data, splits)
        # Not for a streamed table: scikit-learn's models take their splits whole, in memory.
        if self.classical and data.about.tabular and isinstance(data.splits.train.x, dict):
            from dlkit.tasks.classical import fit_predict

            seed, classes = self.config.seed, len(data.class_names)
            fitted = fit_predict(self.classical, data.splits.train, splits, seed, classes)
            found += [
                Baseline(model, {name: self.classical_outputs(p) for name, p in predictions.items()})
                for model, predictions in fitted.items()
            ]
        return found

    def constant_baselines(self, data) -> dict[str, np.ndarray]:
        """The trivial baselines that give every example one output (as the model's last layer
        gives it), from the training split's labels, by name (see `trivial_baselines`)."""
        return {}

    def data_baselines(self, data, splits: dict) -> list[Baseline]:
        """Trivial baselines the examples themselves hold (a series' last value), on `splits`."""
        return []

    def classical_outputs(self, predictions: np.ndarray) -> np.ndarray:
        """The model's outputs for a classical model's predictions (class probabilities, values)."""
        return predictions.astype("float32")

    def evaluate_run(self, run_dir: Path, split: str, options: dict[str, Any]) -> Report:
        """Score `model.keras` on the split into RUN/eval/ (the figures training's metrics.json
        holds for it, its baselines' too) with the task's plots and their data as JSON; a warning
        when the model does not beat the trivial baseline."""
        from dlkit.core.runs import write_json
        from dlkit.core.writing import inside
        from dlkit.engine.prepare import prepare_run_data
        from dlkit.engine.score import evaluate, score_baselines, verdict
        from dlkit.model.saved import load_run_model

        out = inside(run_dir, "eval", folder=True)
        data = prepare_run_data(self.config)
        model = load_run_model(run_dir)
        metrics, outputs = evaluate(self.config, model, data, [split])
        metrics |= score_baselines(self.config, data, [split])
        tables = [Table.of_metrics(metrics, f"{run_dir.name}: {split}")]
        if self.config.train.prune is not None:
            from dlkit.training.addons import prune

            metrics |= prune.report_run(model, self.config.train.prune, Path(run_dir))
            tables.append(Table.of_sparsity(metrics, f"{run_dir.name}: pruning"))
        write_json(out / "metrics.json", metrics)
        scored = data.scored(split, self.config.seed)
        report = self.write_report(scored, outputs[split], data.class_names, out, f"{split} split")
        report |= self.calibration_report(model, split, scored.y, outputs[split])
        for stem, content in report.items():
            write_json(out / f"{stem}.json", content)
        warning = verdict(self, metrics, split)
        return Report(metrics, [*tables, *self.report_tables(report)], [warning] if warning else [])

    def calibration_report(self, model, name: str, y, outputs) -> dict:
        """What `dlkit eval` keeps about the model's calibration on split `name` (by file stem)."""
        return {}

    def report_tables(self, report: dict) -> list:
        """Tables `dlkit eval` shows from `write_report`'s data."""
        return []

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """The head's softmax or sigmoid, where the loss takes logits (no activation in the model)."""
        import numpy as np

        if not getattr(self.config.train.loss, "from_logits", False):
            return outputs
        if self.head == "sigmoid":
            return 1.0 / (1.0 + np.exp(-outputs))
        if self.head == "softmax":
            shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
            return shifted / shifted.sum(axis=-1, keepdims=True)
        return outputs

    def from_probabilities(self, probabilities: np.ndarray) -> np.ndarray:
        """The outputs that give these probabilities (the inverse of `probabilities`): logits where
        the loss takes them."""
        import numpy as np

        p = np.asarray(probabilities, dtype="float64")
        if getattr(self.config.train.loss, "from_logits", False) and self.head in ("sigmoid", "softmax"):
            p = np.clip(p, 1e-7, 1 - 1e-7)
            p = np.log(p / (1 - p)) if self.head == "sigmoid" else np.log(p)
        return p.astype("float32")

    def describe(self, output: np.ndarray, classes: list[str], top_k: int) -> dict[str, Any]:
        """The predicted number(s) as float32 holds them, with the fewest digits that read back
        to the same float32 (4398.8823, not 4398.88232421875: digits the model never had)."""
        return self.describe_columns(output[None], classes, top_k).row(0)

    def describe_columns(self, outputs: np.ndarray, classes: list[str], top_k: int) -> Described:
        from dlkit.engine.described import Values

        return Values.of(outputs)
