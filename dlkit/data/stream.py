"""`csv` with `stream: true`: a table bigger than memory, read in chunks of `CHUNK_ROWS` rows from
one CSV or Parquet file or a glob of shards, never whole.

One pass over the files (`scan`) cleans each chunk as the in-memory loader does, assigns each row
to train, validation or test by a hash of its key column or of its row number (so no split needs
the whole file, and the same file always splits the same way), keeps the labels (a few bytes a
row) and fits what the encoders need: row counts, each numeric column's sum and sum of squares,
each categorical column's value counts (the vocabulary) over every training row, and a seeded
sample of `stream_sample` training rows for what needs rows (quantile bins, the median, the
training-split score). Training, validation and scoring then stream the rows again through
tf.data, shuffled within a window of chunks (`dlkit.data.stream_batches`)."""

from __future__ import annotations

import dataclasses
import glob
from pathlib import Path
from typing import Any

from dlkit.data.csv_files import column_name, csv_frames, named
from dlkit.data.peek import OptionError, csv_header, existing_file
from dlkit.data.rows import Rows
from dlkit.data.stream_fit import TEST, TRAIN, VAL, scan

#: Rows read at a time: a chunk of a 20-column table is a few MB as pandas holds it.
CHUNK_ROWS = 50_000
#: A row's hash modulo this is its bucket; the first buckets are the test split, then validation.
BUCKETS = 10_000
#: A column holding each row's bucket while its chunk is cleaned (normalised names never start with _).
_BUCKET = "__bucket"


def shards(path: Path, key: tuple = ("path",)) -> list[Path]:
    """The files `path` names: itself, or the files its glob pattern (`data/part-*.csv`) matches, sorted."""
    if not glob.has_magic(str(path)):
        return [existing_file(path, key)]
    found = sorted(Path(p) for p in glob.glob(str(path)) if Path(p).is_file())
    if not found:
        raise OptionError(key, f"no file matches {path}")
    return found


def is_parquet(path: Path) -> bool:
    return Path(path).suffix.lower() in (".parquet", ".pq")


def header(path: Path, key: tuple = ("path",)) -> list[str]:
    """The column names of a CSV's first line or a Parquet file's schema, as written."""
    if not is_parquet(path):
        return csv_header(path, key)
    import pyarrow.parquet as pq

    existing_file(path, key)
    try:
        return list(pq.read_schema(path).names)
    except Exception as e:  # pyarrow's errors have no common base but Exception
        raise OptionError(key, f"{path}: cannot read as Parquet: {' '.join(str(e).split())}") from None


def frames(path: Path, text: list[str], rows: int | None = None):
    """The file in DataFrames of at most `rows` (`CHUNK_ROWS`) rows, column names normalised."""
    rows = rows or CHUNK_ROWS
    if not is_parquet(path):
        yield from csv_frames(path, text, rows)
        return
    import pyarrow.parquet as pq

    from dlkit.core.errors import DataError

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=rows)
        for batch in batches:
            frame = batch.to_pandas()
            for name in frame.columns:
                if str(frame[name].dtype) == "category":  # a dictionary-encoded column: its values, as a CSV's
                    frame[name] = frame[name].astype(object)
                if column_name(name) in text:
                    frame[name] = frame[name].astype("string").astype(object).where(frame[name].notna(), None)
            yield named(frame, path)
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read as Parquet: {' '.join(str(e).split())}") from None


def compact(y):
    """Labels as a numpy array of fixed-width strings or numbers, not Python objects (millions of
    them would take ten times the memory); integers (class ids) as int32 where they fit."""
    import numpy as np

    if y.dtype == object:
        return y.astype(str)
    y = np.asarray(y)
    small = np.iinfo("int32")
    if y.dtype.kind in "iu" and (not len(y) or (small.min <= y.min() and y.max() <= small.max)):
        return y.astype("int32")
    return y


@dataclasses.dataclass
class Source:
    """Files and how to read, clean and split their rows (the `Csv` loader's options)."""

    options: Any
    files: list[Path]
    #: Input column -> numeric or categorical, and the categorical ones holding integer ids.
    columns: dict[str, str]
    ids: set[str]
    #: Buckets below cuts[0] are test rows, below cuts[1] validation rows; None: every row is a test row.
    cuts: tuple[int, int] | None
    #: The rows of each file, as read (known after the first pass; row numbers count from them).
    raw_rows: list[int] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> list[str]:
        key = self.options.split_key
        return [column_name(c) for c in [*(self.options.categorical or []), *([key] if key else [])]]

    def chunks(self, index: int, rows: Rows | None = None):
        """(parts, columns, raw labels) of each cleaned chunk of file `index`; `rows` counts what was
        read and left out."""
        path, start = self.files[index], sum(self.raw_rows[:index])
        rows = rows if rows is not None else Rows(0)
        for frame in frames(path, self.text):
            count = len(frame)
            frame[_BUCKET] = self._buckets(frame, start, path)
            start += count
            kept = self.options._kept(frame, self.columns, path, rows)
            if kept.empty:
                continue
            x, y = self.options._arrays(kept, self.columns, self.ids, path)
            yield self._parts(kept[_BUCKET].to_numpy()), x, compact(y)

    def _buckets(self, frame, start: int, path: Path):
        import numpy as np
        import pandas as pd

        from dlkit.core.errors import DataError

        key = self.options.split_key
        if key is None:
            hashed = pd.util.hash_array(np.arange(start, start + len(frame), dtype="uint64"))
        else:
            if column_name(key) not in frame.columns:
                raise DataError(f"{path}: no column {column_name(key)!r} (data.options.split_key)")
            cells = frame[column_name(key)]
            hashed = pd.util.hash_array(cells.where(cells.notna(), "").astype(str).str.strip().to_numpy(object))
        return (hashed % BUCKETS).astype("uint16")

    def _parts(self, buckets):
        import numpy as np

        if self.cuts is None:
            return np.full(len(buckets), TEST, "uint8")
        return np.where(buckets < self.cuts[0], TEST, np.where(buckets < self.cuts[1], VAL, TRAIN)).astype("uint8")


def cuts(test: float, validation: float | str) -> tuple[int, int]:
    """The bucket bounds of the test and validation splits (`data.split`)."""
    first = round(test * BUCKETS)
    return first, first + (0 if validation == "test" else round(validation * BUCKETS))


def refusal(split, cache: bool) -> str | None:
    """What a streamed table cannot do of `data` (its `split` and `cache`), in one line; None: nothing."""
    why = "a streamed table (data.options.stream: true) is split by a hash of each row"
    if split.folds is not None:
        return f"data.split.folds: {why}, not cut into folds (dlkit cv needs the table in memory)"
    if split.group is not None:
        return f"data.split.group: {why}; hash a group column instead: data.options.split_key: {split.group}"
    if split.ordered:
        return f"data.split.ordered: {why}, not held out in order"
    if cache:
        return "data.cache: a streamed table (data.options.stream: true) is read from its files each epoch"
    return None


def load_streamed(options, files: list[Path], test_files: list[Path] | None, columns, ids, holdout):
    """The `Arrays` of a streamed table: train and validation rows as one `StreamedRows` (each row's
    part kept beside it), test rows as another, the labels in memory, the encoders' statistics
    from one pass."""
    from dlkit.data.dataset import Arrays
    from dlkit.data.targets import of_cells

    test, validation = holdout
    source = Source(options, files, columns, ids, cuts(0.0 if test_files else test, validation))
    found = scan(source, options.stream_sample, fit=True)
    train_val = StreamedRows(source, (TRAIN, VAL), found.counts, found.stats, found.sample, found.row_parts)
    key = f"data.options.split_key {options.split_key}" if options.split_key else "the row number"
    found.rows.note = (
        f"streamed from {len(files)} file{'s' * (len(files) > 1)}, split by a hash of {key}; "
        f"bins, fills and the train score from a sample of {len(found.sample.positions):,} training rows"
    )
    if test_files:
        test_source = Source(options, test_files, columns, ids, None)
        tested = scan(test_source, 0, rows=found.rows)
        x_test, y_test = StreamedRows(test_source, (TEST,), tested.counts), tested.labels[TEST]
    else:
        x_test, y_test = StreamedRows(source, (TEST,), found.counts), found.labels[TEST]
    return Arrays(
        x_train=train_val,
        y_train=found.labels[TRAIN],
        x_test=x_test,
        y_test=y_test,
        kind="table",
        feature_names=list(columns),
        example_shape=(len(columns),),
        rows=found.rows,
        target=of_cells(found.target_cells, *options.names_target()),
    )


@dataclasses.dataclass
class StreamedRows:
    """The rows of some parts of a `Source`, read again from its files each time they are needed;
    a split's `x`. Its labels (the split's `y`) follow the same order: files sorted, rows as written."""

    source: Source
    parts: tuple[int, ...]
    #: Rows of each part in each file (from the scan).
    counts: list[list[int]]
    #: The encoders' statistics, and the sample of training rows they were fitted on (train only).
    stats: dict | None = None
    sample: Any = None
    #: Each row's part (train and validation rows as one, before they are split).
    row_parts: Any = None

    def __len__(self) -> int:
        return sum(sum(per[p] for p in self.parts) for per in self.counts)

    def __repr__(self) -> str:
        return f"StreamedRows({len(self):,} rows of parts {self.parts} of {self.source.options.path})"

    @property
    def paths(self) -> list[str]:
        return [str(p) for p in self.source.files]

    def only(self, part: int) -> StreamedRows:
        """These rows' `part` (the sample, of training rows, kept with the training part)."""
        return dataclasses.replace(self, parts=(part,), row_parts=None, sample=self.sample if part == TRAIN else None)

    def offsets(self) -> list[int]:
        """The position of each file's first row among these rows."""
        sizes = [sum(per[p] for p in self.parts) for per in self.counts]
        return [sum(sizes[:i]) for i in range(len(sizes))]

    def rows_at(self, indices) -> dict:
        """The columns of rows `indices` (sorted): from the sample where it holds them all, else read."""
        import numpy as np

        from dlkit.data.examples import concatenate, take

        indices = np.asarray(indices)
        if self.sample is not None and np.isin(indices, self.sample.positions).all():
            where = np.searchsorted(self.sample.positions, indices)
            return take(self.sample.x, where)
        found = []
        for x, position in self.pieces():
            end = position + len(next(iter(x.values())))
            found.append(take(x, indices[(indices >= position) & (indices < end)] - position))
        return concatenate(found)

    def pieces(self, order=None):
        """(columns, position of the first) of these rows, chunk by chunk, files in `order`."""
        import numpy as np

        from dlkit.data.examples import take

        offsets = self.offsets()
        for index in range(len(self.source.files)) if order is None else order:
            position = offsets[index]
            for parts, x, _ in self.source.chunks(index):
                keep = np.isin(parts, self.parts)
                if keep.any():
                    yield take(x, keep), position
                    position += int(keep.sum())

    def dataset(self, y, *, batch_size: int, shuffle: bool, seed: int, epoch=None, skip: int = 0, one_hot=None):
        """Batches of (columns, labels) as `to_dataset` gives them, read from the files."""
        from dlkit.data.stream_batches import batches

        return batches(self, y, batch_size, shuffle, seed, epoch, skip, one_hot)

    def scored(self, wanted: int):
        """Positions of up to `wanted` training rows to score, drawn from the sample (sorted)."""
        import numpy as np

        return np.sort(self.sample.positions[np.argsort(self.sample.keys)[:wanted]])


def streamed_splits(arrays, split, cache: bool):
    """The `Splits` of a streamed table's `Arrays` (labels encoded), as its pass assigned the rows;
    a ConfigError for what of `data` (`split`, `cache`) streaming cannot do."""
    from dlkit.core.errors import ConfigError
    from dlkit.data.splits import Split, Splits

    problem = refusal(split, cache)
    if problem:
        raise ConfigError(problem)
    rows, y = arrays.x_train, arrays.y_train
    test = Split(arrays.x_test, arrays.y_test)
    if not len(test):
        raise ConfigError(f"data.split.test: no row of {rows.source.options.path} fell in the test split; set a "
                          "larger fraction, or data.options.test_path")  # fmt: skip
    train = Split(rows.only(TRAIN), y[rows.row_parts == TRAIN])
    val = test if split.validation == "test" else Split(rows.only(VAL), y[rows.row_parts == VAL])
    return Splits(train, val if len(val) or split.validation == "test" else None, test)
