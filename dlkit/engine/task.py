"""The `Task` contract: one subclass per task (the built-in ones in `dlkit.tasks`, above the trainer),
registered on the `TASKS` root. The defaults here are what a task that does not do a thing says;
the trainer, evaluation, predict and the commands ask `task_of(config)` and never name a task."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dlkit.core.errors import UsageError
from dlkit.core.registries import TASKS

if TYPE_CHECKING:
    import numpy as np

    from dlkit.config.experiment import ExperimentConfig
    from dlkit.data.dataset import Arrays, DatasetInfo
    from dlkit.data.prepared import PreparedData
    from dlkit.data.splits import Split
    from dlkit.engine.described import Described


@dataclasses.dataclass
class Table:
    """A table for the command line to show (`dlkit eval`'s per-class report, a GAN's scores)."""

    title: str
    columns: list[str]
    rows: list[list[str]]

    @classmethod
    def of_metrics(cls, metrics: dict[str, dict[str, float]], title: str) -> Table:
        """Figures by split (`metrics.json`): a row per split, a column per figure, then a row per
        baseline and split, `test (majority)` (its other entries, pruning's `sparsity` and `size`,
        have tables of their own)."""
        rows = {split: values for split, values in metrics.items() if split in ("train", "val", "test")}
        for baseline, splits in (metrics.get("baselines") or {}).items():
            rows |= {f"{split} ({baseline})": values for split, values in splits.items()}
        names = list(dict.fromkeys(k for split in rows.values() for k in split))
        shown = [[row, *(f"{values[n]:.4f}" if n in values else "" for n in names)] for row, values in rows.items()]
        return cls(title, ["split", *names], shown)

    @classmethod
    def of_sparsity(cls, figures: dict, title: str) -> Table:
        """A pruned run's `sparsity` and `size` (`metrics.json`): a row per pruned kernel, the
        overall share of zeros, and the gzipped weights against the dense model's."""
        sparsity, size = figures["sparsity"], figures["size"]
        rows = [[name, f"{value:.4f}"] for name, value in sparsity["layers"].items()]
        rows.append(["overall", f"{sparsity['overall']:.4f} (target {sparsity['target']})"])
        dense = size.get("dense_gzip_bytes")
        against = f" against {dense:,} dense ({dense / size['gzip_bytes']:.2f}x smaller)" if dense else ""
        rows.append(["gzip of the weights", f"{size['gzip_bytes']:,} bytes{against}"])
        return cls(title, ["pruned kernel", "sparsity"], rows)

    @classmethod
    def of_calibration(cls, figures_by_split: dict[str, dict[str, float]], temperature: float, title: str) -> Table:
        """A calibrated run's `calibration.json`: a row per split, ECE and NLL before and after
        temperature scaling."""
        names = ("ece_before", "ece_after", "nll_before", "nll_after")
        rows = [[split, *(f"{values[n]:.4f}" for n in names)] for split, values in figures_by_split.items()]
        return cls(f"{title} (temperature {temperature:.4f})", ["split", *(n.replace("_", " ") for n in names)], rows)


@dataclasses.dataclass
class Baseline:
    """What a run's model must beat: a simple predictor's outputs on each split, in the model's
    own output format (probabilities or logits, target units), so that the code scoring the model
    scores it too (`dlkit.engine.score.score_baselines`)."""

    name: str
    outputs: dict[str, np.ndarray]


@dataclasses.dataclass
class Report:
    """What `dlkit eval` found: the figures by split, tables to show, warnings to print."""

    metrics: dict[str, Any]
    tables: list[Table] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)


class Task:
    """What differs between tasks. An instance acts on one experiment's config.

    A subclass sets `config` (the pydantic model of its experiment files: which keys `model:` and
    `train:` take, their defaults and checks) and overrides the hooks below that apply to it."""

    #: The registered name (set by the registry).
    type_name: ClassVar[str] = ""
    #: What messages call the task's runs ("a GAN run"); default: the name.
    title: ClassVar[str] = ""
    #: The model of this task's experiment files, a subclass of `ExperimentConfig`.
    config: ClassVar[type]
    #: Split the data keeping each class's share in every split.
    stratify: ClassVar[bool] = False
    #: Its targets are numbers the model learns standardised (`data.options.scale_target`).
    scales_targets: ClassVar[bool] = False
    #: `dlkit validate` should count the data's classes (cheaply, `Dataset.peek`) for `layer_problems`.
    counts_classes: ClassVar[bool] = False
    #: The task-specific options of `dlkit eval` this task takes, each with what it does.
    eval_options: ClassVar[dict[str, str]] = {}
    #: Its runs draw samples (`dlkit generate`).
    generates: ClassVar[bool] = False
    #: `dlkit attack` can score its runs: `decisions` are classes, compared with the labels.
    attackable: ClassVar[bool] = False
    #: The kinds of labels it learns (`dlkit.data.targets`: integers, floats, text, masks); None:
    #: any (its labels are not checked against their kind).
    targets: ClassVar[frozenset[str] | None] = None
    #: What its labels must be, as a refusal of other labels says it: `numbers`.
    needs: ClassVar[str] = ""
    #: The kinds of labels for which a refusal by another task proposes this one (declared by the
    #: class itself; a subclass does not inherit it).
    fits: ClassVar[frozenset[str]] = frozenset()
    #: The target `dlkit init` proposes this task for: `classes` (three or more), `two_classes`,
    #: `numbers` or `masks` (a class per pixel); None: never proposed.
    proposed_for: ClassVar[str | None] = None
    #: The trivial baselines among `baselines`' (those that learn nothing but a statistic), each
    #: with what messages call it: a model that does not beat them learned nothing useful.
    trivial_baselines: ClassVar[dict[str, str]] = {}

    def __init__(self, config: ExperimentConfig):
        self.config = config

    @property
    def name(self) -> str:
        return self.type_name

    # --- data and model ---

    def labels(self, arrays: Arrays) -> list[str]:
        """Check (and encode, in place) the loaded labels; return the class names ([] for none)."""
        return []

    def check_output(self, model, data: PreparedData) -> None:
        """Raise a ConfigError naming the last layer if the model cannot give what the task needs."""

    def output(self, outputs, train_targets=None):
        """The model's output from what the last configured layer gives; `train_targets` are the
        training split's labels (None: a dry run)."""
        return outputs

    def loss(self):
        """The Keras loss training minimises and `score` reports as `loss`: `train.loss` as
        configured (regression's `target_transform` compares log targets)."""
        return self.config.train.loss.build()

    def layer_problems(self, peek) -> list[tuple[tuple, str]]:
        """Clear mistakes of the configured layers for what the data is known to be without loading
        it (`dlkit.data.peek.Peek`), each as (key path, message); no TensorFlow here."""
        return []

    def class_weight(self, data: PreparedData) -> dict[int, float] | None:
        """Keras's `class_weight` for training, from `train.class_weight`."""
        return None

    def make_session(self, resumed=None):
        """A training session of the task's own (a GAN's); None: the standard one."""
        return None

    def dry_run_models(self, info: DatasetInfo) -> dict[str, Any]:
        """The model(s) `dlkit validate --dry-run` describes, by name, built from the dataset's
        known shape without data; the first is the one whose input and output are shown."""
        raise NotImplementedError

    # --- results ---

    def headline(self, metrics: dict[str, float]) -> dict[str, float]:
        """The test figure `dlkit runs` shows (empty: none)."""
        return {}

    def baselines(self, data: PreparedData, names: list[str]) -> list[Baseline]:
        """What the model must beat, scored like it on the splits `names` (`eval.baselines`);
        empty: nothing to compare with (a GAN)."""
        return []

    def decisions(self, outputs: np.ndarray) -> np.ndarray | None:
        """What the model decides for each example (a class index; 0/1 per label), from its
        outputs; None for a task that predicts values."""
        return None

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs as probabilities (a softmax or sigmoid applied when the loss takes logits)."""
        return outputs

    def report(self, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
        """The `eval.metrics` figures of one split, from the model's outputs on it."""
        return {}

    def write_report(self, split: Split, outputs: np.ndarray, class_names: list[str], folder: Path, title: str) -> dict:
        """Draw the task's plots of one split into `folder`; return the data behind them by file
        stem, which `dlkit eval` keeps as JSON."""
        return {}

    def evaluate_run(self, run_dir: Path, split: str, options: dict[str, Any]) -> Report:
        """`dlkit eval RUN`: score the run, write `RUN/eval/`. `options` are those of
        `eval_options` that were given."""
        raise NotImplementedError

    # --- predict and generate ---

    def check_predict(self, run_dir: Path) -> None:
        """Raise a UsageError if this task's runs do not predict from inputs."""

    def describe(self, output: np.ndarray, classes: list[str], top_k: int) -> dict[str, Any]:
        """One predict row's fields from the model's output for one example."""
        raise NotImplementedError

    def describe_rows(self, outputs: np.ndarray, classes: list[str], top_k: int) -> Described:
        """The predictions of a batch of examples (the model's outputs, one row each). In columns
        where the class that gives `describe_columns` (a class, a value) also gives `describe`
        and no subclass of it changes `shown`; else an example at a time through `describe` and
        `shown` (a mask, or a plug-in's own rows)."""
        from dlkit.engine.described import Rows

        owner = lambda name: next(c for c in type(self).__mro__ if name in vars(c))  # noqa: E731
        columns = owner("describe_columns")
        if columns is not Task and columns is owner("describe") and issubclass(columns, owner("shown")):
            return self.describe_columns(outputs, classes, top_k)
        return Rows([self.describe(output, classes, top_k) for output in outputs], self.shown)

    def describe_columns(self, outputs: np.ndarray, classes: list[str], top_k: int) -> Described:
        """`describe_rows` in columns, for a task whose rows are columns of numbers."""
        raise NotImplementedError

    def predicted(self, described: Described, inputs: list[str], run_dir: Path, options: dict[str, Any]) -> None:
        """After `describe_rows`: finish the predictions of `inputs` (write files they name).
        `options` are `dlkit predict`'s task-specific options that were given (`overlay`); this
        task takes none."""
        if options:
            raise UsageError(f"--{next(iter(options))} draws segmentation masks; this run is task {self.name!r}")

    def score_parts(self, described: Described, targets: np.ndarray, classes: list[str]) -> np.ndarray | None:
        """Predict's scoring of a batch against the filled target cells a CSV holds: what each
        scored example adds to the figures (a hit, an error), or None where this task scores none.
        The parts of every batch, concatenated, make `score_figures`."""
        return None

    def score_figures(self, parts: np.ndarray, classes: list[str]) -> tuple[dict[str, float], int] | None:
        """The figures of `score_parts`' parts of all the batches, and how many examples were scored."""
        return None

    def shown(self, row: dict[str, Any]) -> tuple[str, str, str]:
        """A predict row as (prediction, probability, more) for the table and `--output` CSV."""
        return str(row.get("value", "")), "", ""

    def columns(self, top_k: int) -> tuple[str, str, str]:
        """The headers of `shown`'s cells in predict's table; "" for a cell this task never fills
        (a value has no probability), which neither the table nor `--output` shows."""
        return "prediction", "", ""

    #: Which of `shown`'s cells an `--output` file keeps (the table shows every named one).
    file_cells: ClassVar[tuple[int, ...]] = (0, 1)

    def generate(self, run_dir: Path, n: int, seed: int, out: Path, npz: Path | None) -> dict:
        """`dlkit generate`: write a grid of `n` samples (seeded) to `out`, and the arrays to `npz`."""
        raise NotImplementedError


def task_of(config: ExperimentConfig) -> Task:
    """The task of `config`, ready to act on it."""
    return TASKS.get(config.task)(config)
