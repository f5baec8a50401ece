"""Cross-validation folds: they partition what the test split leaves, seeded, stratified; ordered
folds validate after they train."""

import numpy as np

from conftest import TINY
from dlkit.config.loader import parse_config
from dlkit.data.folds import fold_indices
from dlkit.engine.prepare import prepare_data


def _splits(seed: int, fold: int | None, folds: int = 4):
    split = {**TINY["data"]["split"], **({"folds": folds, "fold": fold} if fold else {})}
    return prepare_data(parse_config({**TINY, "seed": seed, "data": {**TINY["data"], "split": split}})).splits


def _rows(x) -> set[bytes]:
    return {row.tobytes() for row in np.asarray(x)}


def test_folds_partition_the_pool_and_keep_the_test_split():
    plain = _splits(7, None)
    pool = _rows(plain.train.x) | _rows(plain.val.x)
    folds = [_splits(7, k) for k in range(1, 5)]
    vals = [_rows(s.val.x) for s in folds]
    assert set().union(*vals) == pool and sum(len(v) for v in vals) == len(pool)  # each example validates once
    for s, val in zip(folds, vals, strict=True):
        assert _rows(s.train.x) == pool - val
        np.testing.assert_array_equal(s.test.x, plain.test.x)
        shares = np.bincount(s.val.y, minlength=10) / len(s.val)  # stratified: each class's share kept
        assert np.abs(shares - np.bincount(s.train.y, minlength=10) / len(s.train)).max() < 0.02


def test_the_same_seed_gives_the_same_folds_and_another_seed_others():
    first, again, other = _splits(7, 2), _splits(7, 2), _splits(8, 2)
    np.testing.assert_array_equal(first.val.x, again.val.x)
    np.testing.assert_array_equal(first.train.y, again.train.y)
    assert _rows(first.val.x) != _rows(other.val.x)
    y = np.arange(100) % 2
    one = fold_indices(y, folds=5, fold=1, repeat=1, seed=7, stratify=True, ordered=False)[1]
    two = fold_indices(y, folds=5, fold=1, repeat=2, seed=7, stratify=True, ordered=False)[1]
    assert set(one) != set(two)  # each repeat cuts anew


def test_ordered_folds_validate_after_they_train():
    y = np.zeros(60)
    for fold in range(1, 5):
        train, val = fold_indices(y, folds=4, fold=fold, repeat=1, seed=0, stratify=False, ordered=True)
        assert train.max() < val.min() and train.min() == 0  # an expanding window
        assert len(train) == 12 * fold
