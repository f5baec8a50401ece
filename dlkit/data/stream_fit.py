"""The one pass over a streamed table (`dlkit.data.stream`): labels and parts of every row, rows
read and left out, and, over the training rows, what the column encoders are fitted on: each
numeric column's count, mean and spread (merged chunk by chunk, Chan et al.'s pairwise update,
exact where a sum of squares would cancel), each categorical column's value counts, and a seeded
sample of training rows kept as the k smallest of one random key per row (a uniform sample of a
stream of unknown length, the same for the same files)."""

from __future__ import annotations

import dataclasses
from typing import Any

from dlkit.core.errors import DataError
from dlkit.data.examples import concatenate, take
from dlkit.data.rows import Rows

#: The parts a row can fall in.
TRAIN, VAL, TEST = 0, 1, 2


@dataclasses.dataclass
class Sample:
    """Training rows: their columns, raw labels, positions among the training rows and random keys."""

    x: dict
    y: Any
    positions: Any
    keys: Any

    def take(self, where) -> Sample:
        return Sample(take(self.x, where), self.y[where], self.positions[where], self.keys[where])


@dataclasses.dataclass
class Scan:
    #: The train and validation rows' labels (TRAIN) and the test rows' (TEST), in file order.
    labels: dict
    #: Rows of each part (TRAIN, VAL, TEST) in each file.
    counts: list[list[int]]
    rows: Rows
    #: The part of each train or validation row.
    row_parts: Any = None
    stats: dict | None = None
    sample: Sample | None = None
    target_cells: Any = ()


def scan(source, sample_size: int, *, fit: bool = False, rows: Rows | None = None) -> Scan:
    """Read every file of `source` (a `dlkit.data.stream.Source`) once; with `fit`, fit the
    training rows' statistics."""
    import numpy as np

    rows = rows if rows is not None else Rows(0, duplicates="keep", compare=False)
    held, parts_of, tested, counts = [], [], [], []
    fitting = Fitting(source.columns, sample_size) if fit else None
    source.raw_rows, trained = [], 0
    for index in range(len(source.files)):
        per, before = [0, 0, 0], rows.read
        source.raw_rows.append(0)  # the rows before this file are counted: row numbers go on from them
        for parts, x, y in source.chunks(index, rows):
            test = parts == TEST
            held.append(y[~test])
            parts_of.append(parts[~test])
            tested.append(y[test])
            for part in range(3):
                per[part] += int((parts == part).sum())
            if fitting is not None:
                train = parts == TRAIN
                fitting.add(take(x, train), y[train], trained)
                trained += int(train.sum())
        source.raw_rows[index] = rows.read - before
        counts.append(per)
    labels = {TRAIN: _joined(held), TEST: _joined(tested)}
    found = Scan(labels, counts, rows, row_parts=_joined(parts_of, "uint8"))
    if fitting is not None:
        if not trained:
            why = "; ".join(f"{count:,} left out {why}" for why, count in rows.left_out.items())
            raise DataError(f"{source.options.path}: no training rows of {rows.read:,} read ({why or 'no rows'})")
        found.stats, found.sample = fitting.stats(source.options.missing), fitting.sample
        found.target_cells = np.unique(fitting.sample.y)
    return found


def _joined(parts: list, dtype: str | None = None):
    import numpy as np

    return np.concatenate(parts) if parts else np.zeros(0, dtype or "float32")


class Fitting:
    """The training rows' statistics, chunk by chunk."""

    def __init__(self, columns: dict[str, str], size: int):
        import numpy as np

        #: Per numeric column: [rows, blanks, mean of the present values, sum of squared deviations].
        self.numeric = {name: [0, 0, 0.0, 0.0] for name, kind in columns.items() if kind == "numeric"}
        self.counts: dict[str, dict] = {name: {} for name, kind in columns.items() if kind == "categorical"}
        self.size, self.sample = size, None
        self.rng = np.random.default_rng([0, size])

    def add(self, x: dict, y, start: int) -> None:
        import numpy as np

        n = len(y)
        for name, values in x.items():
            if name in self.numeric:
                present = values[~np.isnan(values)].astype("float64")
                moments = self.numeric[name]
                moments[0] += n
                moments[1] += n - len(present)
                m = len(present)
                if m:
                    seen = moments[0] - moments[1] - m
                    moments[2:] = _merged(seen, *moments[2:], m, present.mean(), present.var() * m)
            else:
                counts = self.counts[name]
                for value, count in zip(*(a.tolist() for a in np.unique(values, return_counts=True)), strict=True):
                    counts[value] = counts.get(value, 0) + count
        self._sample(x, y, start)

    def _sample(self, x: dict, y, start: int) -> None:
        import numpy as np

        piece = Sample(x, y, np.arange(start, start + len(y)), self.rng.random(len(y)))
        if self.sample is not None:
            old = self.sample
            piece = Sample(
                concatenate([old.x, piece.x]),
                np.concatenate([old.y, piece.y]),
                np.concatenate([old.positions, piece.positions]),
                np.concatenate([old.keys, piece.keys]),
            )
        if len(piece.keys) > self.size:  # the smallest keys, kept in the order of the rows
            piece = piece.take(np.sort(np.argpartition(piece.keys, self.size)[: self.size]))
        self.sample = piece

    def stats(self, missing: str) -> dict[str, dict]:
        """Per numeric column its fill and the mean and variance of its filled values; per
        categorical column its vocabulary and fill (the most frequent, the smallest of a tie)."""
        import numpy as np

        from dlkit.data.table_encoders import mode

        found = {}
        for name, (n, blanks, mean, squares) in self.numeric.items():
            column = self.sample.x[name]
            fill = mean
            if missing == "median" and n > blanks:
                fill = float(np.nanmedian(column))
            elif missing == "most_frequent" and n > blanks:
                fill = float(mode(column))
            mean, squares = _merged(n - blanks, mean, squares, blanks, fill, 0.0)
            found[name] = {"fill": float(fill), "mean": float(mean), "var": float(squares / max(n, 1))}
        for name, counts in self.counts.items():
            present = {value: count for value, count in counts.items() if value != ""}
            fill = min(present, key=lambda value: (-present[value], value)) if present else ""
            found[name] = {"vocabulary": sorted(present), "fill": fill}
        return found


def _merged(n: int, mean: float, squares: float, m: int, other_mean: float, other_squares: float):
    """(mean, sum of squared deviations) of two sets of values of n and m values."""
    if not m:
        return mean, squares
    total = n + m
    delta = other_mean - mean
    return mean + delta * m / total, squares + other_squares + delta * delta * n * m / total
