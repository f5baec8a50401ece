"""`csv`: a table with a target column. Rows are cleaned here; the column encoders (missing-value
fill, standardisation or numeric embeddings, category lookup; `dlkit.data.table_encoders`) are
fitted on the training split and live in the model, so `dlkit predict rows.csv` needs nothing but
the run folder."""

from __future__ import annotations

import glob
import re
from collections.abc import Collection
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PositiveFloat, PositiveInt, model_validator

from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.core.strict import did_you_mean, raise_at
from dlkit.data.bounds import check_csv
from dlkit.data.csv_files import column_name, read_csv
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.peek import OptionError, Peek, column_values, existing_file, label_classes, require_column
from dlkit.data.rows import Duplicates, Rows, settle_duplicates
from dlkit.data.stream import header, is_parquet, shards
from dlkit.data.targets import of_cells

UnseenPolicy = Literal["warn", "error", "ignore"]

#: Input columns a csv table may have. Each is a model input with its own encoding layers, which
#: Keras builds and traces one by one: 60 rows of 500 numeric columns trained in 84 s, of 1,000 in
#: 410 s (2 shared CPU cores), and 10,000 would take hours.
MAX_COLUMNS = 1000


def _width_or_auto(value: Any) -> Any:
    """`embedding_dim`: an integer > 0 or `auto`, refused in one message (not one per type)."""
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise ValueError("should be an integer > 0 or auto")


#: The options of the numeric encodings, by the encodings they are for.
_NUMERIC_OPTIONS = {
    ("periodic", "piecewise_linear"): {"numeric_embedding_dim"},
    ("periodic",): {"numeric_frequencies", "numeric_sigma", "numeric_lite"},
    ("piecewise_linear",): {"numeric_bins"},
}

#: A number as a CSV cell writes it (what pandas would parse), checked before `Decimal` reads it.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def numeric_column(frame, name: str, path: Path):
    """The column as float32 (NaN where empty); a cell that is not a number is a DataError naming it."""
    import pandas as pd

    values = pd.to_numeric(frame[name], errors="coerce")
    bad = values.isna() & frame[name].notna()
    if bad.any():
        row = int(bad.idxmax())
        raise DataError(
            f"{path}: row {row + 2}, column {name!r}: {frame[name][row]!r} is not a number "
            f"(list the column in data.options.categorical if it holds categories)"
        )
    return values.to_numpy("float32")


def category_text(value, integer_ids: bool) -> str:
    """A categorical cell as the vocabulary holds it, at training and at predict: its text without
    surrounding spaces ("" where blank). In an integer-id column (every training value an integer)
    the integer written plainly, so `60`, `60.0`, ` 60`, `+60`, `060` and `6e1` are the one id `60`;
    there a value that is not an integer is a ValueError."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if not integer_ids or not text:
        return text
    integer = _integer(text)
    if integer is None:
        raise ValueError(f"{text} is not an integer id")
    return integer


def integer_ids(column) -> bool:
    """Whether a categorical column holds integer ids: every present value an integer."""
    present = [text for text in (category_text(v, False) for v in column.dropna().unique()) if text]
    return bool(present) and all(_integer(text) is not None for text in present)


def id_suffix(vocabulary: Collection[str]) -> str | None:
    """How a trained vocabulary writes integer ids: "" (`60`); ".0" (`60.0`, in runs trained before
    ids were read as text, from a CSV whose id column had a blank cell); None: not an id column."""
    for suffix in ("", ".0"):
        stems = [v.removesuffix(suffix) for v in vocabulary if v.endswith(suffix)]
        if vocabulary and len(stems) == len(vocabulary) and all(_integer(stem) == stem for stem in stems):
            return suffix
    return None


def _integer(text: str) -> str | None:
    if text.isascii() and text.isdigit() and len(text) <= 40:  # the usual id, read without Decimal
        return text.lstrip("0") or "0"
    if not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    if number.adjusted() > 40 or number != number.to_integral_value():  # 1e400 is no one's id
        return None
    return str(int(number))


def table_column(frame, name: str, kind: str, path: Path, integer_ids: bool = False):
    """Numeric: float32 with NaN; categorical: `category_text` of each cell (a DataError names a
    value that is not an integer in an integer-id column)."""
    if kind == "numeric":
        return numeric_column(frame, name, path)
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(frame[name])  # ids repeat: read each distinct one once; -1 is blank
    texts = []
    for i, value in enumerate(distinct):
        try:
            texts.append(category_text(value, integer_ids))
        except ValueError as e:
            row = int(np.argmax(codes == i)) + 2
            raise DataError(f"{path}: row {row}, column {name!r}: {e} (the training rows hold integers)") from None
    return np.asarray([*texts, ""], dtype=str)[codes]


def require_columns(frame, names: list[str], path: Path, what: str) -> None:
    for name in names:
        if name not in frame.columns:
            raise DataError(f"{path}: no {what} column {name!r}; {did_you_mean(name, frame.columns)}")


@DATASETS.register()
class Csv(Dataset):
    """A CSV table: options.target is the label; numeric columns standardised or embedded, categories one-hot
    or embedded."""

    path: Path
    """The CSV file, with a header row."""
    target: str
    """The column to predict (names are normalised: `Petal Length` is `petal_length`)."""
    features: list[str] | None = None
    """The input columns; default: every column but the target and `drop`."""
    categorical: list[str] | None = None
    """Columns holding categories; default: the columns that are not numeric."""
    drop: list[str] = []
    """Columns to leave out."""
    missing: Literal["drop", "mean", "median", "most_frequent"] = "drop"
    """Rows with an empty cell in a column the model reads are dropped, or the cell is filled with
    a training-split statistic (numeric columns; categorical columns get their most frequent
    value). A row with a blank target is left out either way; training says how many."""
    duplicates: Duplicates = "keep"
    """Identical rows (every input column and the target): keep each, as the examples of survey,
    sensor and count data they are; drop all but the first of each; or group: keep each, every set
    of identical rows in one split, so that no validation or test row is also a training row.
    Training prints how many there are, and how many held-out rows are training rows too."""
    categorical_encoding: Literal["one_hot", "embedding"] = "one_hot"
    """How categorical columns enter the model: one-hot vectors, or a trained embedding each."""
    embedding_dim: Annotated[PositiveInt | Literal["auto"], BeforeValidator(_width_or_auto)] = 8
    """Width of each categorical column's embedding (with categorical_encoding: embedding); auto:
    min(600, round(1.6 * n ** 0.56)) of its n categories plus one (fastai's rule)."""
    numeric_encoding: Literal["standardize", "periodic", "piecewise_linear"] = "standardize"
    """How numeric columns enter the model: standardised, or all through one embedding layer, each
    column embedded on its own: periodic (sin and cos of trained frequencies of the standardised
    value) or piecewise_linear (bins at the training split's quantiles), then a Linear + ReLU each."""
    numeric_embedding_dim: PositiveInt | None = 24
    """Width of each numeric column's embedding (periodic, piecewise_linear); null: the encoding alone."""
    numeric_frequencies: PositiveInt = 48
    """Frequencies per numeric column (numeric_encoding: periodic)."""
    numeric_sigma: PositiveFloat = 0.01
    """Standard deviation of the initial frequencies, per standard deviation of the column
    (numeric_encoding: periodic); the method's most important setting: larger for sharper functions."""
    numeric_lite: bool = False
    """One Linear shared by every numeric column instead of one each (numeric_encoding: periodic)."""
    numeric_bins: PositiveInt = 48
    """Bins per numeric column, at the training split's quantiles, fewer where values repeat
    (numeric_encoding: piecewise_linear)."""
    test_path: Path | None = None
    """An optional test table with the same columns; otherwise data.split.test is held out."""
    unseen: UnseenPolicy = "warn"
    """At predict time, a row with a category not seen in training is predicted and reported
    (warn), an error for that row, not predicted (error), or predicted silently (ignore)."""
    stream: bool = False
    """Read the table in chunks, never whole, so it may be larger than memory: `path` one CSV or
    Parquet file or a glob of shards (`data/part-*.csv`). Rows are split by a hash of `split_key`
    (or of the row number) into data.split's fractions, exact in expectation only; the encoders'
    statistics and vocabularies come from one pass over the training rows; each epoch reads the
    files again, rows shuffled within windows of 200,000. No folds, groups, ordered splits,
    duplicates: drop or group, or data.cache. docs/tables.md#tables-beyond-memory."""
    split_key: str | None = None
    """With stream: the column whose value's hash puts a row in train, validation or test (rows
    with one key stay together); default: the row's number in the files, sorted by name."""
    stream_sample: PositiveInt = 100_000
    """With stream: the seeded sample of training rows that what needs rows is fitted on (the bins
    of piecewise_linear, a median or most frequent fill, the training-split score); training says
    its size."""

    @model_validator(mode="after")
    def _numeric_options_of_the_encoding(self):
        """An option of another numeric encoding than the one chosen, changed from its default, is a
        mistake, not a no-op (a resolved config.yaml holds every option at its default)."""
        chosen = self.numeric_encoding
        for encoding, keys in _NUMERIC_OPTIONS.items():
            for key in sorted(keys):
                if chosen not in encoding and getattr(self, key) != type(self).model_fields[key].default:
                    raise_at((key,), f"is for numeric_encoding: {' or '.join(encoding)}, not {chosen}")
        if self.stream and self.duplicates != "keep":
            raise_at(("duplicates",), "a streamed table (stream: true) keeps every row; set duplicates: keep")
        if not self.stream and (is_parquet(self.path) or glob.has_magic(str(self.path))):
            raise_at(("path",), f"{self.path}: Parquet files and globs of shards are read with stream: true")
        if not self.stream and self.split_key is not None:
            raise_at(("split_key",), "is for stream: true (a table in memory is split at random)")
        if chosen == "periodic" and self.numeric_lite and self.numeric_embedding_dim is None:
            raise_at(
                ("numeric_lite",), "shares a Linear of width numeric_embedding_dim; set it, or numeric_lite: false"
            )
        return self

    def needs_tensorflow(self) -> dict[str, str]:
        return {"options.stream": "a streamed table's rows are read through tf.data"} if self.stream else {}

    def load(self) -> Arrays:
        if self.stream:
            return self._streamed()
        existing_file(self.path)
        if self.test_path is not None:
            existing_file(self.test_path, ("test_path",))
        self._guard()
        text = [column_name(c) for c in self.categorical or []]
        raw = read_csv(self.path, text)
        columns = self.columns(raw)
        rows = Rows(0, duplicates=self.duplicates)
        frame = self._clean(raw, columns, self.path, rows)
        ids = {name for name, kind in columns.items() if kind == "categorical" and integer_ids(frame[name])}
        x_train, y_train = self._arrays(frame, columns, ids, self.path)
        x_train, y_train, groups = settle_duplicates(self.duplicates, x_train, y_train, rows)
        x_test = y_test = None
        if self.test_path is not None:
            test = self._clean(read_csv(self.test_path, text), columns, self.test_path, rows)
            x_test, y_test = self._arrays(test, columns, ids, self.test_path)
            x_test, y_test, _ = settle_duplicates("drop" if self.duplicates == "drop" else "keep", x_test, y_test, rows)
        return Arrays(
            x_train=x_train,
            y_train=y_train,
            x_test=x_test,
            y_test=y_test,
            kind="table",
            feature_names=list(columns),
            example_shape=(len(columns),),
            rows=rows,
            groups=groups,
            target=of_cells(raw[column_name(self.target)].dropna().unique(), *self.names_target()),
        )

    def names_target(self) -> tuple[tuple, str]:
        return ("options", "target"), f"column {column_name(self.target)!r}"

    def info(self) -> DatasetInfo:
        arrays = self.load()
        return DatasetInfo(arrays.shape, arrays.class_names, arrays.kind)

    def peek(self, classes: bool = True) -> Peek:
        """The named columns checked against the header; the classes from the target column alone."""
        stem = self.path.stem
        if not self.path.is_file() and stem in DATASETS and DATASETS.get(stem).to_csv:
            raise OptionError(("path",), f"no such file: {self.path}; `dlkit to-csv {stem} {self.path}` writes it")
        files = self._guard()
        names = [column_name(c) for c in header(files[0])]
        target = column_name(self.target)
        require_column(target, names, files[0], ("target",))
        for key in ("features", "categorical", "drop"):
            for i, name in enumerate(getattr(self, key) or []):
                require_column(column_name(name), names, files[0], (key, i))
        if self.split_key is not None:
            require_column(column_name(self.split_key), names, files[0], ("split_key",))
        dropped = {target, *(column_name(c) for c in self.drop)}
        used = [column_name(c) for c in self.features] if self.features else [c for c in names if c not in dropped]
        if self.test_path is not None:
            test_file = shards(self.test_path, ("test_path",))[0]
            test_header = [column_name(c) for c in header(test_file, ("test_path",))]
            for name in [target, *used]:
                require_column(name, test_header, test_file, ("test_path",))
        read = column_values(self.path, names.index(target)) if classes and not self.stream else None
        classes = label_classes(*read) if read else None
        kind = of_cells(read[0], *self.names_target()) if read else None
        return Peek(f"{self.path} column {target!r}", classes, target_width=1, columns=used, target=kind)

    def _guard(self) -> list[Path]:
        """Refuse, before pandas reads them, files with more input columns than MAX_COLUMNS or more
        cells than fit in `data.max_bytes` and the memory available (a streamed table's: any size).
        Returns the files of `path`."""
        files = {}
        for key in ("path",) if self.test_path is None else ("path", "test_path"):
            files[key] = shards(getattr(self, key), (key,))
            path = files[key][0]
            columns = header(path, (key,))
            inputs = len(self.features) if self.features else len(columns) - 1 - len(self.drop)
            if inputs > MAX_COLUMNS:
                raise OptionError((key,), (
                    f"{path}: {inputs:,} input columns; a csv table takes at most {MAX_COLUMNS:,} (each is a model "
                    "input, which Keras builds and traces one by one: 60 rows of 1,000 columns train for about 7 "
                    "minutes, and the time grows faster than the columns); choose columns with "
                    "data.options.features or drop, or save the features as one array in an .npz (dataset: npz, "
                    "options.kind: array)"))  # fmt: skip
            try:
                if not self.stream:
                    check_csv(path, len(columns), self.max_bytes)
            except DataError as e:
                raise OptionError((key,), str(e)) from None
        return files["path"]

    def columns(self, frame) -> dict[str, str]:
        """Input column -> `numeric` or `categorical`."""
        names = [column_name(c) for c in (self.features or [])]
        require_columns(frame, [column_name(self.target)], self.path, "target")
        require_columns(frame, names + [column_name(c) for c in self.drop], self.path, "feature")
        dropped = {column_name(self.target), *(column_name(c) for c in self.drop)}
        names = names or [c for c in frame.columns if c not in dropped]
        declared = {column_name(c) for c in self.categorical or []}
        require_columns(frame, sorted(declared), self.path, "categorical")
        if self.categorical is None:
            declared = {c for c in names if not _mostly_numbers(frame[c])}
        return {c: "categorical" if c in declared else "numeric" for c in names}

    def _clean(self, frame, columns: dict[str, str], path: Path, rows: Rows):
        """The rows with a target, and with `missing: drop` a cell in every input column; those
        left out are counted in `rows`. No row left is a DataError."""
        frame = self._kept(frame, columns, path, rows)
        if frame.empty:
            why = "; ".join(f"{count:,} left out {why}" for why, count in rows.left_out.items())
            raise DataError(f"{path}: no rows left of {rows.read:,} read ({why or 'the file has no rows'})")
        return frame.reset_index(drop=True)

    def _kept(self, frame, columns: dict[str, str], path: Path, rows: Rows):
        """`_clean` of one chunk of a streamed table (which may leave none)."""
        target = column_name(self.target)
        require_columns(frame, [target], path, "target")
        require_columns(frame, list(columns), path, "feature")
        rows.read += len(frame)
        blank = frame[target].isna()
        rows.leave_out("with a blank target", int(blank.sum()))
        frame = frame[~blank]
        if self.missing == "drop":
            gaps = frame[list(columns)].isna().any(axis=1)
            rows.leave_out("with an empty cell by missing: drop", int(gaps.sum()))
            frame = frame[~gaps]
        return frame

    def _arrays(self, frame, columns: dict[str, str], ids: set[str], path: Path):
        """Column arrays (numeric: float32 with NaN; categorical: str with "") and the raw target."""
        require_columns(frame, list(columns), path, "feature")
        x = {name: table_column(frame, name, kind, path, name in ids) for name, kind in columns.items()}
        return x, frame[column_name(self.target)].to_numpy()

    def model_input(self, shape, x_train: Any = None):
        """One input per column, with its encoders fitted on `x_train` (`dlkit.data.table_encoders`);
        each column's encoded tensor is also a graph source of its own (`columns.NAME`)."""
        from dlkit.data.table_encoders import encode_columns

        if x_train is None:  # a dry run: the table is local, read it
            x_train = self.load().x_train
        if not isinstance(x_train, dict):  # streamed: fitted in its pass, and on its sample
            return encode_columns(self, x_train.sample.x, x_train.stats)
        return encode_columns(self, x_train)

    def _streamed(self) -> Arrays:
        """`load` of a streamed table (`dlkit.data.stream`): column kinds and integer-id columns
        told from the first rows, as `columns` tells them of a whole table."""
        from dlkit.data.stream import frames, load_streamed

        files = self._guard()
        test_files = shards(self.test_path, ("test_path",)) if self.test_path is not None else None
        text = [column_name(c) for c in self.categorical or []]
        first = next((frame for path in files for frame in frames(path, text) if len(frame)), None)
        if first is None:
            raise DataError(f"{self.path}: no rows (every file holds a header alone)")
        columns = self.columns(first)
        first = self._kept(first, columns, files[0], Rows(0))
        ids = {name for name, kind in columns.items() if kind == "categorical" and integer_ids(first[name])}
        return load_streamed(self, files, test_files, columns, ids, self.holdout)


def _mostly_numbers(column) -> bool:
    """Numeric, or text that mostly parses as numbers (a column with a few bad cells, which
    `numeric_column` then names, rather than a column of categories)."""
    import pandas as pd

    if column.dtype != object:
        return True
    present = column.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() >= 0.5
