"""Predict's readers, one per kind of data a run was trained on (the `INPUTS` registry): image
files, CSV rows and texts brought to the form the run's model takes, one row per example (or the
reason it could not be read), values not seen in training marked."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dlkit.data.images import IMAGE_SUFFIXES, antialiased, read_image
from dlkit.errors import UsageError
from dlkit.registry import Registry
from dlkit.strict import listed

#: Readers by the kind of data a run was trained on (a dataset's `Arrays.kind`).
INPUTS = Registry("input kind", "inputs")

#: A text with more than this share of its words out of the training vocabulary is marked unseen:
#: its prediction rests on the few words the model knows.
OOV_SHARE = 0.5

#: How many names, values or inputs a message lists before "and N more".
SHOWN = 5


@dataclasses.dataclass
class Inputs:
    #: One per example: `{"input": ...}`, with `error` when it cannot be read, `unseen` when it holds
    #: values training never saw.
    rows: list[dict]
    #: The examples of the rows without an error, in order (None when there are none).
    examples: Any
    #: Table runs: the target column's cell for each row without an error (None where absent).
    targets: list | None = None


def expand_inputs(inputs: list[Path], suffixes: set[str]) -> list[Path]:
    """Files as given; a folder gives its files with one of `suffixes`, sorted."""
    paths = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths += sorted(p for p in item.iterdir() if p.suffix.lower() in suffixes)
        else:
            paths.append(item)
    return paths


def read_images(inputs, shape, antialias: bool) -> Inputs:
    from PIL import Image

    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise UsageError(f"cannot make images of shape {shape} from files")
    paths = expand_inputs(inputs, IMAGE_SUFFIXES)
    if not paths:
        raise UsageError("no image files to predict (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")")
    rows, images = [], []
    for path in paths:
        try:
            images.append(read_image(path, shape, antialias))
            rows.append({"input": str(path)})
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            if path.is_file() and path.suffix.lower() not in IMAGE_SUFFIXES:
                reason = f"not an image (this run takes {', '.join(sorted(IMAGE_SUFFIXES))} files)"
            else:
                reason = _reason(e)
            rows.append({"input": str(path), "error": reason})
    return Inputs(rows, np.stack(images) if images else None)


@dataclasses.dataclass
class Category:
    """A categorical column as training left it in the model: its vocabulary (None when the model
    has no `<column>_lookup` layer) and, for integer ids, how the vocabulary writes them."""

    vocabulary: frozenset[str] | None
    id_suffix: str | None

    def read(self, value) -> tuple[str, str | None]:
        """The cell as the vocabulary holds it, and its own text if training never saw it."""
        from dlkit.data.table import category_text

        text = category_text(value, self.id_suffix is not None)
        if text and self.id_suffix:
            text += self.id_suffix
        unseen = bool(text) and self.vocabulary is not None and text not in self.vocabulary
        return text, category_text(value, False) if unseen else None


def read_table(inputs, model, kind: str, features, target: str | None) -> Inputs:
    """Rows of CSV files, by column name; the target and other extra columns play no part. A table
    run's categorical columns are read as text, as in training, whatever else the file holds."""
    from dlkit.data.table import column_name, read_csv
    from dlkit.errors import DataError

    paths = expand_inputs(inputs, {".csv"})
    if not paths:
        raise UsageError("no CSV files to predict")
    wanted = wanted_columns(model, kind, features)
    target = column_name(target) if target else None
    as_text = [name for name, category in wanted.items() if category is not None] + ([target] if target else [])
    rows, parts, targets = [], [], []
    for path in paths:
        if path.suffix.lower() in IMAGE_SUFFIXES:
            rows.append({"input": str(path), "error": "not a CSV file (an image; this run takes CSV rows)"})
            continue
        try:
            frame = read_csv(path, as_text)
        except DataError as e:
            rows.append({"input": str(path), "error": str(e).removeprefix(f"{path}: ")})
            continue
        if not wanted:  # unnamed features: take the columns in order
            wanted = dict.fromkeys(frame.columns[: model.input_shape[-1]])
        missing = [name for name in wanted if name not in frame.columns]
        if missing:  # this file is reported; the others are still predicted
            error = f"missing columns {listed(missing, SHOWN)}; the model takes {listed(wanted, SHOWN)}"
            rows.append({"input": str(path), "error": error})
            continue
        file_rows, values = frame_rows(frame, wanted, path)
        good = np.array(["error" not in row for row in file_rows], dtype=bool)
        rows += file_rows
        parts.append({name: column[good] for name, column in values.items()})
        cells = frame[target][good] if target in frame.columns else [None] * int(good.sum())
        targets += list(cells)
    if not targets:  # no row without an error
        return Inputs(rows, None)
    columns = {name: np.concatenate([p[name] for p in parts]) for name in wanted}
    return Inputs(rows, table_examples(columns, kind), targets if target else None)


def wanted_columns(model, kind: str, features) -> dict[str, Category | None]:
    """The columns a table or array run's model takes ({} for an array run with unnamed features)."""
    return table_columns(model) if kind == "table" else dict.fromkeys(features or [])


def table_examples(columns: dict[str, np.ndarray], kind: str):
    """Columns of values as the model takes them: a table run's one input per column, an array
    run's one matrix."""
    if kind == "table":
        return {name: column[:, None] for name, column in columns.items()}
    return np.stack(list(columns.values()), axis=1)


def table_columns(model) -> dict[str, Category | None]:
    """The model's input columns: None for a numeric one, the `Category` of a categorical one."""
    from dlkit.data.table import id_suffix

    columns = {}
    for tensor in model.inputs:
        if tensor.dtype != "string":
            columns[tensor.name] = None
            continue
        try:
            vocabulary = model.get_layer(f"{tensor.name}_lookup").get_vocabulary(include_special_tokens=False)
        except ValueError:
            columns[tensor.name] = Category(None, None)
            continue
        vocabulary = [str(v) for v in vocabulary]
        columns[tensor.name] = Category(frozenset(vocabulary), id_suffix(vocabulary))
    return columns


def frame_rows(frame, wanted: dict[str, Category | None], path) -> tuple[list[dict], dict[str, np.ndarray]]:
    """One row per line of the file (`dlkit serve`: per instance of a request); a row's error
    names its first bad column."""
    import pandas as pd

    rows = [{"input": f"{path}:{i + 2}"} for i in range(len(frame))]
    values = {}
    for name, category in wanted.items():
        cells = frame[name]
        if category is None:
            numbers = pd.to_numeric(cells, errors="coerce")
            for i in np.flatnonzero(numbers.isna().to_numpy() & cells.notna().to_numpy()):
                rows[i].setdefault("error", f"column {name!r}: {cells.iloc[i]!r} is not a number")
            values[name] = numbers.to_numpy("float32")
            continue
        codes, distinct = pd.factorize(cells)  # each distinct cell read once; -1 is a blank one
        read = [_read_cell(category, name, value) for value in distinct] + [("", None, None)]
        texts = []
        for row, code in zip(rows, codes, strict=True):
            text, unseen, error = read[code]
            if error is not None:
                row.setdefault("error", error)
            if unseen is not None:
                row.setdefault("unseen", {})[name] = unseen
            texts.append(text)
        values[name] = np.array(texts, dtype=object)
    return rows, values


def _read_cell(category: Category, name: str, value) -> tuple[str, str | None, str | None]:
    """(text, unseen value, error) of one cell."""
    try:
        return (*category.read(value), None)
    except ValueError as e:
        return "", None, f"column {name!r}: {e}"


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


def read_texts(inputs, texts, model) -> Inputs:
    """`--text` strings, and `.txt` files with one example per line. A text most of whose words
    are not in the model's vocabulary is marked unseen."""
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
    if not examples:
        return Inputs(rows, None)
    examples = np.array(examples, dtype=object)[:, None]
    readable = [row for row in rows if "error" not in row]
    for row, (unknown, words) in zip(readable, _unknown_words(model, examples), strict=True):
        if words and unknown > OOV_SHARE * words:
            row["unseen"] = {"words": f"{unknown} of {words}"}
    return Inputs(rows, examples)


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


@INPUTS.register("image")
class ImageFiles(InputKind):
    """Image files or folders of them, any size and colour mode, resized as training did."""

    def read(self, inputs, texts, model, info, options):
        return read_images(inputs, tuple(info["input"]["shape"]), antialiased(options))


@INPUTS.register("table")
class TableRows(InputKind):
    """CSV rows by column name: categories read as at training, unseen values marked, the target scored."""

    def read(self, inputs, texts, model, info, options):
        return read_table(inputs, model, "table", info["input"].get("features"), options.get("target"))


@INPUTS.register("array")
class FeatureRows(InputKind):
    """CSV rows of numeric features, by the names training gave them (or in order)."""

    def read(self, inputs, texts, model, info, options):
        return read_table(inputs, model, "array", info["input"].get("features"), options.get("target"))


@INPUTS.register("text")
class Texts(InputKind):
    """`--text` strings and .txt files, a line each; mostly unknown words marked."""

    takes_text = True

    def read(self, inputs, texts, model, info, options):
        return read_texts(inputs, texts, model)


@INPUTS.register("sequence")
class Windows(InputKind):
    """Every window of consecutive rows of a time-ordered CSV file."""

    def read(self, inputs, texts, model, info, options):
        return read_windows(inputs, info["input"].get("features"), model.input_shape[1])
