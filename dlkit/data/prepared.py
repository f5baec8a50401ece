"""What training, evaluation and the commands get of a config's data: the splits, the class names,
the fingerprint, the loader and what it read (`PreparedData`). `dlkit.engine.prepare` makes it."""

from __future__ import annotations

import dataclasses

import numpy as np

from dlkit.core.errors import DataError
from dlkit.data.dataset import Arrays, Dataset
from dlkit.data.rows import Rows, count_of, row_keys
from dlkit.data.splits import Split, Splits

#: The most training examples `metrics.json` (and `dlkit eval --split train`) are scored on: a
#: larger training split is scored on a seeded sample of this many, which tells over-fitting as
#: well as all of them would, at a fraction of the time.
SCORED_TRAIN = 10_000


@dataclasses.dataclass
class PreparedData:
    splits: Splits
    class_names: list[str]
    fingerprint: str
    loader: Dataset
    #: What the loader said about its data (kind, shape, decode, feature names), less the examples.
    about: Arrays
    #: What the loader read and left out.
    rows: Rows

    def rows_used(self) -> str:
        """The line training prints as it starts: `data: 6,366 rows read, 6,366 used (...)`."""
        return summary(self.rows, self.splits)

    @property
    def kind(self) -> str:
        return self.about.kind

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.about.shape

    def model_input(self):
        """The model's input, with encoders fitted on the training split."""
        return self.loader.model_input(self.input_shape, self.splits.train.x)

    @property
    def target_dim(self) -> int:
        """Numbers per example in the labels: 1, or the width of (N, D) regression targets."""
        y = self.splits.train.y
        return 1 if y.ndim == 1 else y.shape[-1]

    def split_names(self) -> list[str]:
        return ["train", "test"] if self.splits.val is None else ["train", "val", "test"]

    def split(self, name: str) -> Split:
        found = {"train": self.splits.train, "val": self.splits.val, "test": self.splits.test}[name]
        if found is None:
            raise DataError(f"this run has no {name} split (data.split.validation is 0)")
        return found

    def scored(self, name: str, seed: int) -> Split:
        """The examples of split `name` its figures are computed on: all, but for a training split
        of more than `SCORED_TRAIN` a sample of that many (the same for a given seed, in order)."""
        split = self.split(name)
        if name != "train" or len(split) <= SCORED_TRAIN:
            return split
        if hasattr(split.x, "scored"):  # a streamed table: rows of the sample its pass drew, in memory
            return split.take(split.x.scored(SCORED_TRAIN))
        chosen = np.random.default_rng([seed, SCORED_TRAIN]).choice(len(split), SCORED_TRAIN, replace=False)
        return split.take(np.sort(chosen))


def summary(rows: Rows, splits: Splits) -> str:
    """The line training prints as it starts: rows read, rows used, and why any were left out."""
    import numpy as np

    held = [s for s in (splits.val, splits.test) if s is not None]
    held = [s for i, s in enumerate(held) if all(s is not other for other in held[:i])]  # validation: test
    used = len(splits.train) + sum(len(s) for s in held)
    notes = [f"{count_of(count, rows.noun)} left out {why}" for why, count in rows.left_out.items()]
    notes += [rows.note] if rows.note else []
    if rows.compare:
        keys = [row_keys(s.x, s.y) for s in (splits.train, *held)]
        repeated = used - len(np.unique(np.concatenate(keys)))
        if repeated:
            notes.append(f"{count_of(repeated, 'exact duplicate ' + rows.noun)} kept")
        leaked = sum(int(np.isin(k, keys[0]).sum()) for k in keys[1:])
        if leaked:
            fix = "; duplicates: group would keep identical rows in one split" if rows.duplicates == "keep" else ""
            notes.append(f"{count_of(leaked, 'val/test ' + rows.noun)} identical to a training {rows.noun}{fix}")
    more = f" ({'; '.join(notes)})" if notes else ""
    return f"data: {rows.read:,} {rows.noun}s read, {used:,} used{more}"
