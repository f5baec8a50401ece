"""`dlkit predict`: bring inputs to the run's model the way its training data looked: image files
(resized as training did), CSV rows (by column name), or text. The model holds the preprocessing
and encoders itself, so only the run folder is needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlkit.config import load_run_config
from dlkit.data.images import IMAGE_SUFFIXES, read_image
from dlkit.errors import UsageError
from dlkit.runs import load_run_model, read_run
from dlkit.tasks import task_of


def expand_inputs(inputs: list[Path], suffixes: set[str]) -> list[Path]:
    """Files as given; a folder gives its files with one of `suffixes`, sorted."""
    paths = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths += sorted(p for p in item.iterdir() if p.suffix.lower() in suffixes)
        else:
            paths.append(item)
    return paths


def predict(run_dir: Path, inputs: list[Path], texts: list[str] = (), top_k: int = 3):
    """One row per example, as the run's task describes its output (the class, its probability and
    the top-k; the value; ...), or the reason the example could not be read; and each row as
    (prediction, probability, more) for a table or a CSV file."""
    info = read_run(run_dir)
    task = task_of(load_run_config(run_dir))
    task.check_predict(run_dir)
    kind = info.get("input", {}).get("kind")
    if texts and kind != "text":
        raise UsageError(f"{run_dir}: --text needs a run trained on text; this one takes {kind} inputs")
    model = load_run_model(run_dir)
    if kind == "image":
        rows, examples = _images(inputs, tuple(info["input"]["shape"]))
    elif kind in ("table", "array"):
        rows, examples = _csv_rows(inputs, model, info["input"].get("features"), kind)
    elif kind == "text":
        rows, examples = _texts(inputs, texts)
    elif kind == "sequence":
        rows, examples = _windows(inputs, info["input"].get("features"), model.input_shape[1])
    else:
        raise UsageError(f"{run_dir}: predict does not know inputs of kind {kind!r}")
    good = [row for row in rows if "error" not in row]
    if good:
        import tensorflow as tf

        # Through tf.data, as in training: Keras's array adapter refuses string arrays.
        outputs = model.predict(tf.data.Dataset.from_tensor_slices(examples).batch(256), verbose=0)
        for row, output in zip(good, outputs, strict=True):
            row.update(task.describe(output, info.get("classes") or [], top_k))
    return rows, [("", "", "") if "error" in row else task.shown(row) for row in rows]


def _images(inputs, shape):
    from PIL import Image

    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise UsageError(f"cannot make images of shape {shape} from files")
    paths = expand_inputs(inputs, IMAGE_SUFFIXES)
    if not paths:
        raise UsageError("no image files to predict (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")")
    rows, images = [], []
    for path in paths:
        try:
            images.append(read_image(path, shape))
            rows.append({"input": str(path)})
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            rows.append({"input": str(path), "error": _reason(e)})
    return rows, np.stack(images) if images else None


def _csv_rows(inputs, model, features, kind):
    """Rows of CSV files, by column name (extra columns, such as the target, are ignored)."""
    from dlkit.data.table import read_csv
    from dlkit.errors import DataError

    paths = expand_inputs(inputs, {".csv"})
    if not paths:
        raise UsageError("no CSV files to predict")
    if kind == "table":
        wanted = {t.name: "categorical" if t.dtype == "string" else "numeric" for t in model.inputs}
    else:
        wanted = {name: "numeric" for name in features or []}
    rows, columns = [], {name: [] for name in wanted}
    for path in paths:
        try:
            frame = read_csv(path)
        except DataError as e:
            rows.append({"input": str(path), "error": str(e).removeprefix(f"{path}: ")})
            continue
        if not wanted:  # unnamed features: take the columns in order
            wanted = {c: "numeric" for c in frame.columns[: model.input_shape[-1]]}
            columns = {name: [] for name in wanted}
        missing = [name for name in wanted if name not in frame.columns]
        if missing:  # this file is reported; the others are still predicted
            rows.append(
                {
                    "input": str(path),
                    "error": f"missing columns {', '.join(missing)}; the model takes {', '.join(wanted)}",
                }
            )
            continue
        for i, record in frame.iterrows():
            row = {"input": f"{path}:{i + 2}"}
            try:
                values = {name: _cell(record[name], kind, name) for name, kind in wanted.items()}
            except ValueError as e:
                rows.append(row | {"error": str(e)})
                continue
            rows.append(row)
            for name, value in values.items():
                columns[name].append(value)
    if not any("error" not in r for r in rows):
        return rows, None
    if kind == "table":
        return rows, {name: np.array(values, dtype=object if wanted[name] == "categorical" else "float32")[:, None]
                      for name, values in columns.items()}  # fmt: skip
    return rows, np.stack([np.array(values, dtype="float32") for values in columns.values()], axis=1)


def _windows(inputs, features, window: int):
    """Every `window` consecutive rows of each CSV file (time-ordered), one example each."""
    from dlkit.data.sequence import windows
    from dlkit.data.table import numeric_column, read_csv, require_columns

    rows, examples = [], []
    for path in expand_inputs(inputs, {".csv"}):
        frame = read_csv(path)
        names = features or list(frame.columns)
        require_columns(frame, names, path, "feature")
        series = np.stack([numeric_column(frame, name, path) for name in names], axis=1)
        starts, x = windows(series, window)
        rows += [{"input": f"{path}:{s + 2}-{s + window + 1}"} for s in starts]
        examples.append(x)
    if not rows:
        raise UsageError("no CSV files to predict")
    return rows, np.concatenate(examples).astype("float32")


def _cell(value, kind: str, name: str):
    import pandas as pd

    if kind == "categorical":
        return "" if pd.isna(value) else str(value)
    number = pd.to_numeric(value, errors="coerce")
    if pd.isna(number) and not pd.isna(value):
        raise ValueError(f"column {name!r}: {value!r} is not a number")
    return np.float32(number)


def _texts(inputs, texts):
    """`--text` strings, and `.txt` files with one example per line."""
    rows, examples = [{"input": text} for text in texts], list(texts)
    for path in expand_inputs(inputs, {".txt"}):
        try:
            lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as e:
            rows.append({"input": str(path), "error": _reason(e)})
            continue
        rows += [{"input": f"{path}:{i + 1}"} for i in range(len(lines))]
        examples += lines
    if not rows:
        raise UsageError("nothing to predict: give --text or .txt files (one example per line)")
    return rows, np.array(examples, dtype=object)[:, None] if examples else None


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a folder"
    if isinstance(error, UnicodeDecodeError):
        return "not a text file"
    return f"cannot read as an image ({type(error).__name__}: {error})"
