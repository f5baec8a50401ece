"""`dlkit predict`: bring inputs to the run's model the way its training data looked: image files
(resized as training did), CSV rows (by column name), or text. The model holds the preprocessing
and encoders itself, so only the run folder is needed. Returns rows and reports; the CLI prints."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import numpy as np

from dlkit.config import load_run_config
from dlkit.core.errors import DlkitError, UsageError
from dlkit.core.registries import INPUTS
from dlkit.core.runs import atomic_write, read_run
from dlkit.core.strict import listed
from dlkit.data.examples import take
from dlkit.engine.task import task_of
from dlkit.model.saved import load_run_model
from dlkit.predict.inputs import SHOWN


@dataclasses.dataclass
class Unseen:
    """Rows holding values training never saw, for one column (`words` for text runs)."""

    column: str
    rows: int
    #: Table runs: the distinct unseen values; text runs: the inputs.
    values: list[str]

    def __str__(self) -> str:
        shown = listed([_short(v) if self.column == "words" else repr(_short(v)) for v in self.values], SHOWN)
        if self.column == "words":
            their = "its" if self.rows == 1 else "their"
            return f"{_count(self.rows, 'text')} with most of {their} words not in the training vocabulary ({shown})"
        value = "a value" if len(self.values) == 1 else "values"
        return f"{self.column}: {_count(self.rows, 'row')} with {value} not seen in training ({shown})"


@dataclasses.dataclass
class Score:
    """The predictions against the known answers the inputs hold: a CSV's target column, or the
    class sub-folders images are in."""

    #: Where the answers are: `target column 'price'`.
    source: str
    rows: int
    metrics: dict[str, float]
    #: What was scored: `row`, `image`.
    noun: str = "row"

    def __str__(self) -> str:
        figures = ", ".join(f"{name} {value:.4g}" for name, value in self.metrics.items())
        return f"{self.source} present: {figures} on {_count(self.rows, self.noun)}"


@dataclasses.dataclass
class Predictions:
    #: The run folder and its kind, as errors name it: `runs/x (an image run)`.
    run: str
    #: One per example: the prediction, or `error`; `unseen` marks values training never saw.
    rows: list[dict]
    unseen: list[Unseen]
    score: Score | None = None
    #: Each row as (prediction, probability, more) for a table or a CSV file, as its task shows it.
    shown: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    #: What the reader has to say about the inputs (sub-folders that are no class of the run).
    warnings: list[str] = dataclasses.field(default_factory=list)
    #: The headers of `shown`'s cells ("" for one the task never fills), and those a file keeps.
    columns: tuple[str, str, str] = ("prediction", "", "")
    file_cells: tuple[int, ...] = (0, 1)

    def write_csv(self, path: Path) -> None:
        """The rows as CSV (`dlkit predict --output`): the input, the cells the task keeps in a file
        (the probability as a number), the unseen values and the error."""
        cells = [i for i in self.file_cells if self.columns[i]]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["input", *(self.columns[i] for i in cells), "unseen", "error"])
        for row, shown in zip(self.rows, self.shown, strict=True):
            values = ["" if "error" in row else row.get("probability", shown[i]) if i == 1 else shown[i] for i in cells]
            unseen = "; ".join(f"{name}={value}" for name, value in row.get("unseen", {}).items())
            writer.writerow([row["input"], *values, unseen, row.get("error", "")])
        atomic_write(path, buffer.getvalue())


def describe_run(run_dir: Path, info: dict) -> str:
    """`runs/x (an image run)`: which run, and what it takes."""
    kind = info.get("input", {}).get("kind")
    return f"{run_dir} ({'an' if kind[0] in 'aeiou' else 'a'} {kind} run)" if kind else str(run_dir)


def predict(
    run_dir: Path, inputs: list[Path], texts: list[str] = (), top_k: int = 3, overrides=(), options=None
) -> Predictions:
    """One row per example, as the run's task describes its output (the class, its probability and
    the top-k; the value; ...), or the reason the example could not be read. Every error raised
    names the run. `overrides` (`--set`) change the run's config for this prediction, e.g. a
    multilabel run's `eval.threshold`. `options` are task-specific ones (`Task.predicted`)."""
    info = read_run(run_dir)
    about = describe_run(run_dir, info)
    try:
        return _predict(Path(run_dir), info, about, inputs, texts, top_k, overrides, options or {})
    except DlkitError as e:
        raise type(e)(f"{about}: {str(e).removeprefix(f'{run_dir}: ')}") from None


def _predict(run_dir: Path, info: dict, about: str, inputs, texts, top_k: int, overrides, asked) -> Predictions:
    config = load_run_config(run_dir, overrides)  # first: it loads the run's plug-ins, which the model may need
    task = task_of(config)
    task.check_predict(run_dir)
    kind = info.get("input", {}).get("kind")
    if kind not in INPUTS:
        raise UsageError(f"predict does not know inputs of kind {kind!r}")
    reader = INPUTS.get(kind)()
    if texts and not reader.takes_text:
        raise UsageError(f"--text needs a run trained on text; this one takes {kind} inputs")
    model = load_run_model(run_dir)
    options = config.data.options
    read = reader.read(inputs, texts, model, info, options)
    readable = [row for row in read.rows if "error" not in row]
    apply_policy(read.rows, options.get("unseen", "warn"))
    keep = np.array(["error" not in row for row in readable], dtype=bool)
    good = [row for row in readable if "error" not in row]
    if good:
        import tensorflow as tf

        examples = take(read.examples, keep)
        # Through tf.data, as in training: Keras's array adapter refuses string arrays.
        outputs = model.predict(tf.data.Dataset.from_tensor_slices(examples).batch(256), verbose=0)
        for row, output in zip(good, outputs, strict=True):
            row.update(task.describe(output, info.get("classes") or [], top_k))
    task.predicted(good, run_dir, asked)
    score = None
    if read.targets is not None:
        targets = [t for t, kept in zip(read.targets, keep, strict=True) if kept]
        score = _score(task, info.get("classes") or [], good, targets, read)
    shown = [("", "", "") if "error" in row else task.shown(row) for row in read.rows]
    return Predictions(
        about, read.rows, _unseen_report(good), score, shown, read.warnings, task.columns(top_k), task.file_cells
    )


def apply_policy(rows: list[dict], policy: str) -> None:
    """`data.options.unseen`: warn keeps the mark, ignore drops it, error makes the row an error.
    A row that is an error for another reason is not predicted: it keeps no mark."""
    for row in rows:
        if "unseen" not in row:
            continue
        if policy == "error" and "error" not in row:
            row["error"] = _unseen_error(row["unseen"])
        if policy != "warn" or "error" in row:
            del row["unseen"]


def _unseen_error(unseen: dict[str, str]) -> str:
    if "words" in unseen:
        return f"{unseen['words']} words not in the training vocabulary (data.options.unseen: error)"
    values = listed([f"column {name!r}: {_short(value)!r}" for name, value in unseen.items()], SHOWN)
    return f"{values} {'was' if len(unseen) == 1 else 'were'} not seen in training (data.options.unseen: error)"


def _unseen_report(rows: list[dict]) -> list[Unseen]:
    report: dict[str, Unseen] = {}
    for row in rows:
        for column, value in row.get("unseen", {}).items():
            entry = report.setdefault(column, Unseen(column, 0, []))
            entry.rows += 1
            shown = row["input"] if column == "words" else value
            if shown not in entry.values:
                entry.values.append(shown)
    return list(report.values())


def _score(task, classes: list[str], rows: list[dict], targets: list, read) -> Score | None:
    """The task's figures of the predictions against the known answers (target cells that are
    filled, class sub-folders that are the run's classes)."""
    from dlkit.data.table import category_text

    pairs = [(row, t) for row, t in zip(rows, targets, strict=True) if category_text(t, False)]
    figures = task.score_rows([row for row, _ in pairs], [t for _, t in pairs], classes) if pairs else None
    return Score(read.scored, figures[1], figures[0], read.noun) if figures else None


def _short(text: str) -> str:
    """A value or input as a message quotes it: long ones cut, so a line stays short."""
    return text if len(text) <= 40 else text[:37] + "..."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
