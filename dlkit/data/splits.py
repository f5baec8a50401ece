"""Train/validation/test splits: seeded, stratified for classification."""

from __future__ import annotations

import dataclasses

import numpy as np

from dlkit.data.dataset import Arrays
from dlkit.errors import DataError


@dataclasses.dataclass
class Split:
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


@dataclasses.dataclass
class Splits:
    train: Split
    val: Split | None
    test: Split


def make_splits(arrays: Arrays, *, validation: float, test: float, seed: int, stratify: bool) -> Splits:
    """Test comes from the dataset's own split where it has one, else `test` of the data is held
    out; `validation` of what remains is held out for validation."""
    from sklearn.model_selection import train_test_split

    def cut(x, y, fraction, what):
        try:
            return train_test_split(x, y, test_size=fraction, random_state=seed, stratify=y if stratify else None)
        except ValueError as e:
            raise DataError(f"data.split.{what}: cannot hold out {fraction} of {len(x)} examples: {e}") from None

    x, y = arrays.x_train, arrays.y_train
    if arrays.x_test is not None:
        test_split = Split(arrays.x_test, arrays.y_test)
    elif test > 0:
        x, x_test, y, y_test = cut(x, y, test, "test")
        test_split = Split(x_test, y_test)
    else:
        raise DataError("data.split.test: this dataset has no test split; set a fraction such as 0.2")
    val_split = None
    if validation > 0:
        x, x_val, y, y_val = cut(x, y, validation, "validation")
        val_split = Split(x_val, y_val)
    return Splits(Split(x, y), val_split, test_split)
