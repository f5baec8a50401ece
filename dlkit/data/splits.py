"""Train/validation/test splits: seeded, stratified for classification."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from dlkit.core.errors import ConfigError, DataError
from dlkit.data.dataset import Arrays
from dlkit.data.examples import take
from dlkit.data.folds import fold_indices, fold_problem


@dataclasses.dataclass
class Split:
    x: Any  # an array, or a dict of column arrays
    y: np.ndarray
    #: Each example's group (`data.split.group`), kept together by holdouts and folds; or None.
    groups: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)

    def take(self, indices: np.ndarray) -> Split:
        return Split(take(self.x, indices), self.y[indices], None if self.groups is None else self.groups[indices])


@dataclasses.dataclass
class Splits:
    train: Split
    val: Split | None
    test: Split

    def sizes(self) -> str:
        """The examples in each split, as training starts: `train 1,293 · val 144 · test 360`."""
        named = {"train": self.train, "val": self.val, "test": self.test}
        return " · ".join(f"{name} {len(split):,}" for name, split in named.items() if split is not None)


def make_splits(
    arrays: Arrays,
    *,
    validation: float | str,
    test: float,
    seed: int,
    stratify: bool,
    ordered: bool = False,
    folds: int | None = None,
    fold: int | None = None,
    repeat: int = 1,
    class_names: list[str] | None = None,
    groups: np.ndarray | None = None,
) -> Splits:
    """Test comes from the dataset's own split where it has one, else `test` of the data is held
    out; `validation` of what remains is held out for validation, or with `"test"` the test split
    serves for validation too. `ordered` holds out the last examples instead of a random sample,
    as time series need. With `folds`, fold `fold` of what remains validates instead (dlkit cv).
    `groups` (one per training example) holds out a share of the groups, each whole."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    def cut(split: Split, fraction: float, what: str) -> tuple[Split, Split]:
        try:
            if split.groups is not None:
                shuffled = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
                keep, held = next(shuffled.split(split.y, groups=split.groups))
                return split.take(keep), split.take(held)
            keep, held = train_test_split(
                np.arange(len(split)),
                test_size=fraction,
                random_state=seed,
                shuffle=not ordered,
                stratify=split.y if stratify and not ordered else None,
            )
        except ValueError as e:
            reason = " ".join(str(e).split())
            reason = reason if len(reason) <= 160 else reason[:157] + "..."  # scikit-learn may list every class
            what_failed = f"data.split.{what}: cannot hold out {fraction} of {len(split)} examples"
            raise DataError(f"{what_failed}: {reason}") from None
        return split.take(keep), split.take(held)

    train = Split(arrays.x_train, arrays.y_train, groups)
    if arrays.x_test is not None:
        test_split = Split(arrays.x_test, arrays.y_test)
    elif test > 0:
        train, test_split = cut(train, test, "test")
    else:
        raise DataError("data.split.test: this dataset has no test split; set a fraction such as 0.2")
    val_split = None
    if folds is not None:
        cutting = dict(stratify=stratify, ordered=ordered, groups=train.groups)
        problem = fold_problem(train.y, folds, class_names=class_names, **cutting)
        if problem:
            raise ConfigError(f"data.split.folds: {problem}")
        keep, held = fold_indices(train.y, folds=folds, fold=fold, repeat=repeat, seed=seed, **cutting)
        train, val_split = train.take(keep), train.take(held)
    elif validation == "test":
        val_split = test_split
    elif validation > 0:
        train, val_split = cut(train, validation, "validation")
    return Splits(train, val_split, test_split)
