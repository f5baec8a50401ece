"""Train/validation/test splits: seeded, stratified for classification."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from dlkit.core.errors import ConfigError, DataError
from dlkit.data.dataset import Arrays
from dlkit.data.examples import take
from dlkit.data.folds import fold_indices, fold_problem

if TYPE_CHECKING:
    import numpy as np


@dataclasses.dataclass
class Split:
    x: Any  # an array, or a dict of column arrays
    y: np.ndarray
    #: Each example's group (`data.split.group`), kept together by holdouts and folds; or None.
    groups: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)

    def batch_count(self, batch_size: int) -> int:
        """The batches of a pass over the split, the last one short."""
        return -(-len(self) // batch_size)

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
    cutting = dict(seed=seed, stratify=stratify, ordered=ordered)
    train = Split(arrays.x_train, arrays.y_train, groups)
    if arrays.x_test is not None:
        test_split = Split(arrays.x_test, arrays.y_test)
    elif test > 0:
        train, test_split = _cut(train, test, "test", **cutting)
    else:
        raise DataError("data.split.test: this dataset has no test split; set a fraction such as 0.2")
    val_split = None
    if folds is not None:
        train, val_split = _fold(train, folds, fold, repeat, class_names, **cutting)
    elif validation == "test":
        val_split = test_split
    elif validation > 0:
        train, val_split = _cut(train, validation, "validation", **cutting)
    return Splits(train, val_split, test_split)


def _cut(split: Split, fraction: float, what: str, *, seed: int, stratify: bool, ordered: bool) -> tuple[Split, Split]:
    """`split` less `fraction` of it, and that fraction (`what`: the key it is for): whole groups
    where it has them, else a random sample (stratified on the labels with `stratify`), or the last
    examples if `ordered`."""
    import numpy as np
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

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


def _fold(train: Split, folds: int, fold: int, repeat: int, class_names, *, seed: int, stratify: bool,
          ordered: bool) -> tuple[Split, Split]:  # fmt: skip
    """`train` less fold `fold` of `folds` (of repeat `repeat`), and that fold (dlkit cv)."""
    cutting = dict(stratify=stratify, ordered=ordered, groups=train.groups)
    problem = fold_problem(train.y, folds, class_names=class_names, **cutting)
    if problem:
        raise ConfigError(f"data.split.folds: {problem}")
    keep, held = fold_indices(train.y, folds=folds, fold=fold, repeat=repeat, seed=seed, **cutting)
    return train.take(keep), train.take(held)
