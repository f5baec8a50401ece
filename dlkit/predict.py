"""`dlkit predict`: bring inputs to the run's model the way its training data looked: image files
(resized as training did), CSV rows (by column name), or text. The model holds the preprocessing
and encoders itself, so only the run folder is needed. Returns rows and reports; the CLI prints."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from dlkit.config import load_config
from dlkit.errors import DlkitError, UsageError
from dlkit.evaluation import probabilities
from dlkit.predict_inputs import capped, read_images, read_table, read_texts, read_windows
from dlkit.runs import load_run_model, read_run


@dataclasses.dataclass
class Unseen:
    """Rows holding values training never saw, for one column (`words` for text runs)."""

    column: str
    rows: int
    #: Table runs: the distinct unseen values; text runs: the inputs.
    values: list[str]

    def __str__(self) -> str:
        listed = capped([_short(v) if self.column == "words" else repr(_short(v)) for v in self.values])
        if self.column == "words":
            their = "its" if self.rows == 1 else "their"
            return f"{_count(self.rows, 'text')} with most of {their} words not in the training vocabulary ({listed})"
        value = "a value" if len(self.values) == 1 else "values"
        return f"{self.column}: {_count(self.rows, 'row')} with {value} not seen in training ({listed})"


@dataclasses.dataclass
class Score:
    """The predictions against the target column, when the CSV still holds it."""

    column: str
    rows: int
    metrics: dict[str, float]

    def __str__(self) -> str:
        figures = ", ".join(f"{name} {value:.4g}" for name, value in self.metrics.items())
        return f"target column {self.column!r} present: {figures} on {_count(self.rows, 'row')}"


@dataclasses.dataclass
class Predictions:
    #: The run folder and its kind, as errors name it: `runs/x (an image run)`.
    run: str
    #: One per example: the prediction, or `error`; `unseen` marks values training never saw.
    rows: list[dict]
    unseen: list[Unseen]
    score: Score | None = None


def describe_run(run_dir: Path, info: dict) -> str:
    """`runs/x (an image run)`: which run, and what it takes."""
    kind = info.get("input", {}).get("kind")
    return f"{run_dir} ({'an' if kind[0] in 'aeiou' else 'a'} {kind} run)" if kind else str(run_dir)


def predict(run_dir: Path, inputs: list[Path], texts: list[str] = (), top_k: int = 3) -> Predictions:
    """One row per example: the class, its probability and the top-k (or the value, for
    regression); or the reason the example could not be read. Every error raised names the run."""
    info = read_run(run_dir)
    if info.get("task") == "gan":
        raise UsageError(
            f"{run_dir}: a GAN run generates images (dlkit generate RUN); predict takes a run of another task"
        )
    about = describe_run(run_dir, info)
    try:
        return _predict(Path(run_dir), info, about, inputs, texts, top_k)
    except DlkitError as e:
        raise type(e)(f"{about}: {str(e).removeprefix(f'{run_dir}: ')}") from None


def _predict(run_dir: Path, info: dict, about: str, inputs, texts, top_k: int) -> Predictions:
    kind = info.get("input", {}).get("kind")
    if texts and kind != "text":
        raise UsageError(f"--text needs a run trained on text; this one takes {kind} inputs")
    model = load_run_model(run_dir)
    config = load_config(run_dir / "config.yaml")
    options = config.data.options
    if kind == "image":
        read = read_images(inputs, tuple(info["input"]["shape"]))
    elif kind in ("table", "array"):
        read = read_table(inputs, model, kind, info["input"].get("features"), options.get("target"))
    elif kind == "text":
        read = read_texts(inputs, texts, model)
    elif kind == "sequence":
        read = read_windows(inputs, info["input"].get("features"), model.input_shape[1])
    else:
        raise UsageError(f"predict does not know inputs of kind {kind!r}")
    readable = [row for row in read.rows if "error" not in row]
    _apply_policy(read.rows, options.get("unseen", "warn"))
    keep = np.array(["error" not in row for row in readable], dtype=bool)
    good = [row for row in readable if "error" not in row]
    if good:
        import tensorflow as tf

        examples = _take(read.examples, keep)
        # Through tf.data, as in training: Keras's array adapter refuses string arrays.
        outputs = model.predict(tf.data.Dataset.from_tensor_slices(examples).batch(256), verbose=0)
        for row, output in zip(good, outputs, strict=True):
            row.update(_describe(config, output, info.get("classes") or [], top_k))
    score = None
    if read.targets is not None:
        targets = [t for t, kept in zip(read.targets, keep, strict=True) if kept]
        score = _score(config, info.get("classes") or [], good, targets, options.get("target"))
    return Predictions(about, read.rows, _unseen_report(good), score)


def _apply_policy(rows: list[dict], policy: str) -> None:
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
    values = capped([f"column {name!r}: {_short(value)!r}" for name, value in unseen.items()])
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


def _take(examples, keep: np.ndarray):
    if isinstance(examples, dict):
        return {name: column[keep] for name, column in examples.items()}
    return examples[keep]


def _score(config, classes: list[str], rows: list[dict], targets: list, target: str) -> Score | None:
    """Regression: MAE and RMSE; classification: accuracy, over the rows whose target cell is filled."""
    import pandas as pd

    from dlkit.data.table import category_text, column_name, id_suffix

    pairs = [(row, t) for row, t in zip(rows, targets, strict=True) if category_text(t, False)]
    if not pairs:
        return None
    if config.task == "regression":
        if any(isinstance(row["value"], list) for row, _ in pairs):
            return None
        errors = np.array([row["value"] for row, _ in pairs]) - pd.to_numeric([t for _, t in pairs], errors="coerce")
        errors = errors[~np.isnan(errors)]
        if not len(errors):
            return None
        metrics = {"mae": float(np.abs(errors).mean()), "rmse": float(np.sqrt((errors**2).mean()))}
        return Score(column_name(target), len(errors), metrics)
    integer_classes = id_suffix(classes) == ""
    labels = [_label(t, integer_classes) for _, t in pairs]
    accuracy = float(np.mean([row["label"] == label for (row, _), label in zip(pairs, labels, strict=True)]))
    return Score(column_name(target), len(pairs), {"accuracy": accuracy})


def _label(cell, integer_classes: bool) -> str:
    """The target cell as a class name: `1.0` is class `1` when the classes are integers."""
    from dlkit.data.table import category_text

    try:
        return category_text(cell, integer_classes)
    except ValueError:
        return category_text(cell, False)


def _describe(config, output: np.ndarray, classes: list[str], top_k: int) -> dict:
    if config.task == "regression":
        return {"value": output.tolist() if output.size > 1 else float(output[0])}
    probs = probabilities(config, output[None])[0]
    if config.task == "binary":
        positive = float(probs[0])
        probs = np.array([1.0 - positive, positive])
    order = np.argsort(-probs, kind="stable")[:top_k]
    label = lambda i: classes[i] if i < len(classes) else str(i)  # noqa: E731
    return {
        "label": label(order[0]),
        "probability": float(probs[order[0]]),
        "top_k": [{"label": label(i), "probability": float(probs[i])} for i in order],
    }


def _short(text: str) -> str:
    """A value or input as a message quotes it: long ones cut, so a line stays short."""
    return text if len(text) <= 40 else text[:37] + "..."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
