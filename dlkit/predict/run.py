"""`dlkit predict`: bring inputs to the run's model the way its training data looked: image files
(resized as training did), CSV rows (by column name), or text. The model holds the preprocessing
and encoders itself, so only the run folder is needed. A batch at a time (a CSV file in chunks):
each is predicted, written to the output file and let go. Returns rows and reports; the CLI prints."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import numpy as np

from dlkit.config import load_run_config
from dlkit.core.errors import DlkitError, UsageError, WriteError
from dlkit.core.registries import INPUTS
from dlkit.core.runs import read_run
from dlkit.core.strict import listed
from dlkit.core.writing import atomic_file
from dlkit.data.examples import take
from dlkit.engine.described import Described, Rows
from dlkit.engine.task import task_of
from dlkit.model.saved import load_run_model
from dlkit.predict.inputs import PREDICT_BATCH, SHOWN
from dlkit.predict.results import Gathered, Predictions, Score, Unseen, short

__all__ = ["Predictions", "Score", "Unseen", "apply_policy", "describe_run", "predict"]


def describe_run(run_dir: Path, info: dict) -> str:
    """`runs/x (an image run)`: which run, and what it takes."""
    kind = info.get("input", {}).get("kind")
    return f"{run_dir} ({'an' if kind[0] in 'aeiou' else 'a'} {kind} run)" if kind else str(run_dir)


def predict(
    run_dir: Path,
    inputs: list[Path],
    texts: list[str] = (),
    top_k: int = 3,
    overrides=(),
    options=None,
    output: Path | None = None,
    keep: int | None = None,
) -> Predictions:
    """One row per example, as the run's task describes its output (the class, its probability and
    the top-k; the value; ...), or the reason the example could not be read. Every error raised
    names the run. `overrides` (`--set`) change the run's config for this prediction, e.g. a
    multilabel run's `eval.threshold`. `options` are task-specific ones (`Task.predicted`). Every
    row is written to the CSV file `output` as its batch is predicted (the file whole or not at
    all); the predictions returned hold the first `keep` rows (all when None)."""
    info = read_run(run_dir)
    about = describe_run(run_dir, info)
    try:
        return _predict(Path(run_dir), info, about, inputs, texts, top_k, overrides, options or {}, output, keep)
    except WriteError:  # the output file's fault, which names it
        raise
    except DlkitError as e:
        raise type(e)(f"{about}: {str(e).removeprefix(f'{run_dir}: ')}") from None


def _predict(run_dir: Path, info, about, inputs, texts, top_k, overrides, asked, output, keep) -> Predictions:
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
    options, classes = config.data.options, info.get("classes") or []
    gathered = Gathered(task, classes, keep)
    with _rows_file(output, task.columns(top_k), task.file_cells) as write:
        for read in reader.batches(inputs, texts, model, info, options):
            good, described = _predict_batch(read, task, model, (classes, top_k, options), run_dir, asked)
            write(read.rows, good, described)
            gathered.add(read.rows, good, described, read)
    return gathered.predictions(about, task.columns(top_k))


def _predict_batch(read, task, model, asked_for, run_dir, asked) -> tuple[np.ndarray, Described]:
    """The indices of the batch's rows that are predicted, and their predictions (`asked_for`:
    the run's classes, top k and `data.options`). `read.targets` is narrowed to those rows."""
    classes, top_k, options = asked_for
    readable = np.flatnonzero(["error" not in row for row in read.rows]) if read.examples is not None else []
    apply_policy(read.rows, options.get("unseen", "warn"))
    keep = np.array(["error" not in read.rows[i] for i in readable], dtype=bool)
    good = np.asarray(readable, dtype=int)[keep]
    described = Rows([], task.shown)
    if len(good):
        described = task.describe_rows(_outputs(model, take(read.examples, keep)), classes, top_k)
    if read.targets is not None:
        read.targets = np.asarray(read.targets, dtype=object)[keep] if len(keep) else np.array([], dtype=object)
    task.predicted(described, [read.rows[i]["input"] for i in good], run_dir, asked)
    return good, described


def _outputs(model, examples) -> np.ndarray:
    """The model's outputs on `examples` (an array, or a dict of column arrays), in batches: through
    tf.data where TensorFlow is installed, as in training (Keras's array adapter refuses string
    arrays, which only a run that needs TensorFlow takes)."""
    from dlkit.core.backend import has_tensorflow

    if not has_tensorflow():
        return model.predict(examples, batch_size=PREDICT_BATCH, verbose=0)
    import tensorflow as tf

    return model.predict(tf.data.Dataset.from_tensor_slices(examples).batch(PREDICT_BATCH), verbose=0)


@contextlib.contextmanager
def _rows_file(path: Path | None, columns: tuple[str, str, str], file_cells: tuple[int, ...]):
    """Writing predict's rows to the CSV file `path` as they come (`write(rows, good, described)`):
    the input, the cells the task keeps in a file (the probability as a number), the unseen values
    and the error. Nothing is written without a path."""
    if path is None:
        yield lambda rows, good, described: None
        return
    cells = [i for i in file_cells if columns[i]]
    with atomic_file(path, "w") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["input", *(columns[i] for i in cells), "unseen", "error"])

        def write(rows: list[dict], good: np.ndarray, described: Described) -> None:
            filled = []
            for i in cells:
                column = np.full(len(rows), "", dtype=object)
                column[good] = described.cells(i) if len(good) else []
                filled.append(column)
            unseen = ["; ".join(f"{k}={v}" for k, v in row.get("unseen", {}).items()) for row in rows]
            errors = [row.get("error", "") for row in rows]
            writer.writerows(zip([row["input"] for row in rows], *filled, unseen, errors, strict=True))

        yield write


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
    values = listed([f"column {name!r}: {short(value)!r}" for name, value in unseen.items()], SHOWN)
    return f"{values} {'was' if len(unseen) == 1 else 'were'} not seen in training (data.options.unseen: error)"
