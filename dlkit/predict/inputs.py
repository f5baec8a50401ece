"""Predict's readers, one per kind of data a run was trained on (the `INPUTS` registry): image
files, CSV rows and texts brought to the form the run's model takes, one row per example (or the
reason it could not be read), values not seen in training marked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dlkit.core.errors import UsageError
from dlkit.core.registries import INPUTS
from dlkit.core.strict import listed
from dlkit.data.images import IMAGE_SUFFIXES, antialiased, read_image
from dlkit.predict.tables import frame_rows, table_examples, wanted_columns

#: Readers by the kind of data a run was trained on (a dataset's `Arrays.kind`).

#: A text with more than this share of its words out of the training vocabulary is marked unseen:
#: its prediction rests on the few words the model knows.
OOV_SHARE = 0.5

#: How many names, values or inputs a message lists before "and N more".
SHOWN = 5

#: How many examples the model predicts at a time.
PREDICT_BATCH = 256

#: How many rows of a CSV file predict reads, predicts and writes at a time: memory is bounded by
#: this, not the file (50,000 rows of 10 columns are some tens of MB as pandas holds them). A
#: multiple of `PREDICT_BATCH`, so that the model sees the batches of one pass over the file and
#: gives the same numbers to the last bit.
CHUNK_ROWS = 200 * PREDICT_BATCH

#: The columns of a text CSV given to a text run: `data.options` key, and the name when the run's
#: config has none (`text_csv`'s defaults; a text folder's run reads the same).
TEXT_CSV_COLUMNS = (("text_column", "text"), ("target", "label"))


@dataclasses.dataclass
class Inputs:
    #: One per example: `{"input": ...}`, with `error` when it cannot be read, `unseen` when it holds
    #: values training never saw.
    rows: list[dict]
    #: The examples of the rows without an error, in order (None when there are none).
    examples: Any
    #: The known answer for each row without an error (None where absent): a table's or text CSV's
    #: target cell, an image's class sub-folder; None when no row has one.
    targets: list | None = None
    #: Where the answers come from, as the score line says it: `target column 'price'`.
    scored: str = ""
    #: What a row is, as the score line counts them.
    noun: str = "row"
    #: What the reader has to say about the inputs, a line each.
    warnings: list[str] = dataclasses.field(default_factory=list)


def expand_inputs(inputs: list[Path], suffixes: set[str]) -> list[Path]:
    """Files as given; a folder gives its files with one of `suffixes`, sorted."""
    paths = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths += sorted(p for p in item.iterdir() if p.suffix.lower() in suffixes)
        else:
            paths.append(item)
    return paths


def class_images(inputs) -> tuple[list[Path], list[str | None]]:
    """Image files as given; a folder gives its image files or, when it holds none itself, those
    under each of its sub-folders (at any depth), labelled with the sub-folder's name: a test set
    laid out in class sub-folders. Of `images/` and `masks/` (a segmentation folder), the images."""
    paths, labels = [], []
    for item in map(Path, inputs):
        found = expand_inputs([item], IMAGE_SUFFIXES)
        if item.is_dir() and not found:
            subs = sorted(p for p in item.iterdir() if p.is_dir() and not p.name.startswith("."))
            paired = {"images", "masks"} <= {p.name for p in subs}
            for sub in [item / "images"] if paired else subs:
                inside = sorted(p for p in sub.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
                paths += inside
                labels += [None if paired else sub.name] * len(inside)
            continue
        paths += found
        labels += [None] * len(found)
    return paths, labels


def read_images(inputs, shape, antialias: bool, classes: list[str]) -> Inputs:
    """Image files, folders of them, or folders of class sub-folders; those of sub-folders named
    as the run's `classes` are scored against them."""
    from PIL import Image

    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise UsageError(f"cannot make images of shape {shape} from files")
    paths, labels = class_images(inputs)
    if not paths:
        raise UsageError("no image files to predict (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")")
    rows, images, targets = [], [], []
    for path, label in zip(paths, labels, strict=True):
        try:
            images.append(read_image(path, shape, antialias))
            rows.append({"input": str(path)})
            targets.append(label if label in classes else None)
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            if path.is_file() and path.suffix.lower() not in IMAGE_SUFFIXES:
                reason = f"not an image (this run takes {', '.join(sorted(IMAGE_SUFFIXES))} files)"
            else:
                reason = _reason(e)
            rows.append({"input": str(path), "error": reason})
    read = Inputs(rows, np.stack(images) if images else None, noun="image")
    unknown = sorted({label for label in labels if label is not None and label not in classes})
    if unknown:
        read.warnings.append(
            f"sub-folders {listed(unknown, SHOWN)} are not classes of this run ({listed(classes, SHOWN)}): "
            "their images are predicted, not scored"
        )
    if any(t is not None for t in targets):
        read.targets, read.scored = targets, "class sub-folders"
    return read


def table_batches(inputs, model, kind: str, features, target: str | None) -> Iterator[Inputs]:
    """Rows of CSV (or Parquet) files by column name, `CHUNK_ROWS` of one file at a time (so a file
    of any size is never whole in memory); a file that cannot be read is a batch of its one row. The
    target and other extra columns play no part. A table run's categorical columns are read as
    text, as in training, whatever else the file holds."""
    from dlkit.core.errors import DataError
    from dlkit.data.csv_files import column_name
    from dlkit.data.stream import frames

    paths = expand_inputs(inputs, {".csv", ".parquet"})
    if not paths:
        raise UsageError("no CSV files to predict")
    wanted = wanted_columns(model, kind, features)
    target = column_name(target) if target else None
    as_text = [name for name, category in wanted.items() if category is not None] + ([target] if target else [])
    for path in paths:
        if path.suffix.lower() in IMAGE_SUFFIXES:
            yield _file_error(path, "not a CSV file (an image; this run takes CSV rows)")
            continue
        first = 0
        try:
            for frame in frames(path, as_text, CHUNK_ROWS):
                if not wanted:  # unnamed features: take the columns in order
                    wanted = dict.fromkeys(frame.columns[: model.input_shape[-1]])
                missing = [name for name in wanted if name not in frame.columns]
                if missing:  # this file is reported; the others are still predicted
                    takes = f"the model takes {listed(wanted, SHOWN)}"
                    yield _file_error(path, f"missing columns {listed(missing, SHOWN)}; {takes}")
                    break
                yield _frame_batch(frame, wanted, path, first, kind, target)
                first += len(frame)
        except DataError as e:
            yield _file_error(path, str(e).removeprefix(f"{path}: "))


def _frame_batch(frame, wanted, path: Path, first: int, kind: str, target: str | None) -> Inputs:
    """The rows of one frame of a CSV file, its first row the file's row `first`."""
    rows, values = frame_rows(frame, wanted, path, first)
    good = np.array(["error" not in row for row in rows], dtype=bool)
    if not good.any():
        return Inputs(rows, None)
    examples = table_examples({name: column[good] for name, column in values.items()}, kind)
    cells = frame[target].to_numpy(object)[good] if target in frame.columns else np.full(good.sum(), None, object)
    return Inputs(rows, examples, cells if target else None, f"target column {target!r}")


def _file_error(path: Path, error: str) -> Inputs:
    return Inputs([{"input": str(path), "error": error}], None)


def read_windows(inputs, features, window: int) -> Inputs:
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
    return Inputs(rows, np.concatenate(examples).astype("float32"))


def read_texts(inputs, texts, model, text_column: str = "text", target: str = "label") -> Inputs:
    """`--text` strings, `.txt` files with one example per line, and `.csv` files of a header and
    rows, whose `text_column` is read (the column the run was trained on) and whose `target`
    column, where present, is scored. A text most of whose words are not in the model's
    vocabulary is marked unseen."""
    rows, examples = [{"input": text} for text in texts], list(texts)
    targets = [None] * len(texts)
    for path in expand_inputs(inputs, {".txt", ".csv"}):
        if path.suffix.lower() == ".csv":
            file_rows, file_texts, cells = read_text_csv(path, text_column, target)
            rows, examples, targets = rows + file_rows, examples + file_texts, targets + cells
            continue
        try:
            lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as e:
            rows.append({"input": str(path), "error": _reason(e)})
            continue
        rows += [{"input": f"{path}:{i + 1}"} for i in range(len(lines))]
        examples += lines
        targets += [None] * len(lines)
    if not rows:
        raise UsageError("nothing to predict: give --text, .txt files (one example per line) or .csv files")
    if not examples:
        return Inputs(rows, None)
    examples = np.array(examples, dtype=object)[:, None]
    readable = [row for row in rows if "error" not in row]
    for row, (unknown, words) in zip(readable, _unknown_words(model, examples), strict=True):
        if words and unknown > OOV_SHARE * words:
            row["unseen"] = {"words": f"{unknown} of {words}"}
    scored = any(t is not None for t in targets)
    return Inputs(rows, examples, targets if scored else None, f"label column {target!r}")


def read_text_csv(path: Path, text: str, target: str) -> tuple[list[dict], list[str], list]:
    """A CSV file's rows (named by their line), the texts of the readable ones from column `text`,
    and their `target` cells (None where the file has no such column)."""
    import pandas as pd

    from dlkit.core.errors import DataError
    from dlkit.data.table import read_csv

    try:
        frame = read_csv(path, {text, target})  # as written: a label `1` stays `1`, a text `42` a text
    except DataError as e:
        return [{"input": str(path), "error": str(e).removeprefix(f"{path}: ")}], [], []
    if text not in frame.columns:
        error = f"no column {text!r}, which this run reads its texts from; the file has {listed(frame.columns, SHOWN)}"
        return [{"input": str(path), "error": error}], [], []
    rows, texts, cells = [], [], []
    labels = frame[target] if target in frame.columns else pd.Series([None] * len(frame), dtype=object)
    for i, (cell, label) in enumerate(zip(frame[text], labels, strict=True)):
        rows.append({"input": f"{path}:{i + 2}"})
        if pd.isna(cell) or not str(cell).strip():
            rows[-1]["error"] = f"column {text!r} is empty"
            continue
        texts.append(str(cell))
        cells.append(None if pd.isna(label) else label)
    return rows, texts, cells


def _unknown_words(model, examples) -> list[tuple[int, int]]:
    """(words out of the vocabulary, words) of each text, as the model's TextVectorization splits
    it (up to its sequence length); nothing for a model without one."""
    try:
        vectorize = model.get_layer("vectorize")
    except ValueError:
        return [(0, 0)] * len(examples)
    ids = np.asarray(vectorize(examples))
    return [(int(unknown), int(words)) for unknown, words in zip((ids == 1).sum(1), (ids > 0).sum(1), strict=True)]


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a folder"
    if isinstance(error, UnicodeDecodeError):
        return "not a text file"
    return f"cannot read as an image ({type(error).__name__}: {error})"


class InputKind:
    """How `dlkit predict` reads inputs for a run whose dataset gives data of this kind."""

    #: It takes `--text` strings as well as files.
    takes_text: ClassVar[bool] = False

    def read(self, inputs: list[Path], texts: list[str], model, info: dict, options: dict) -> Inputs:
        """The examples of `inputs` (files or folders) for `model`; `info` is the run's run.json,
        `options` its `data.options`."""
        raise NotImplementedError

    def batches(self, inputs: list[Path], texts: list[str], model, info: dict, options: dict) -> Iterator[Inputs]:
        """`read` in batches, for a reader whose inputs can be larger than memory; one by default."""
        yield self.read(inputs, texts, model, info, options)


@INPUTS.register("image")
class ImageFiles(InputKind):
    """Image files, folders of them or of class sub-folders (scored), any size and mode, resized as training did."""

    def read(self, inputs, texts, model, info, options):
        return read_images(inputs, tuple(info["input"]["shape"]), antialiased(options), info.get("classes") or [])


@INPUTS.register("table")
class TableRows(InputKind):
    """CSV rows by column name: categories read as at training, unseen values marked, the target scored."""

    def batches(self, inputs, texts, model, info, options):
        return table_batches(inputs, model, "table", info["input"].get("features"), options.get("target"))


@INPUTS.register("array")
class FeatureRows(InputKind):
    """CSV rows of numeric features, by the names training gave them (or in order)."""

    def batches(self, inputs, texts, model, info, options):
        return table_batches(inputs, model, "array", info["input"].get("features"), options.get("target"))


@INPUTS.register("text")
class Texts(InputKind):
    """`--text` strings, .txt files a line each, .csv files by the column trained on (its label
    column scored); mostly unknown words marked."""

    takes_text = True

    def read(self, inputs, texts, model, info, options):
        from dlkit.data.table import column_name

        text, target = (column_name(options.get(key, default)) for key, default in TEXT_CSV_COLUMNS)
        return read_texts(inputs, texts, model, text, target)


@INPUTS.register("sequence")
class Windows(InputKind):
    """Every window of consecutive rows of a time-ordered CSV file."""

    def read(self, inputs, texts, model, info, options):
        return read_windows(inputs, info["input"].get("features"), model.input_shape[1])
