"""Cross-validation folds: which examples of the pool (all but the held-out test split) train and
which validate in fold k of K. Seeded by the config's seed and the repeat, so a fold's run folder
(its config.yaml names the fold) gets the same examples again in `dlkit eval`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def fold_seed(seed: int, repeat: int) -> int:
    """The shuffling seed of repeat `repeat` (1 is the config's own seed; each other its own)."""
    import numpy as np

    if repeat == 1:
        return seed
    return int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])


def _labels(y: np.ndarray) -> np.ndarray:
    import numpy as np

    y = np.asarray(y)
    return y.reshape(len(y)) if y.ndim > 1 and y.shape[1:] == (1,) else y


def fold_problem(
    y: np.ndarray, folds: int, *, stratify: bool, ordered: bool, class_names=None, groups: np.ndarray | None = None
) -> str | None:
    """Why the pool with labels `y` cannot be cut into `folds` folds, or None."""
    import numpy as np

    if groups is not None:
        distinct = len(np.unique(groups))
        return f"{folds} folds need at least {folds} groups; there are {distinct}" if distinct < folds else None
    if ordered and len(y) <= folds:
        return f"{folds} folds need more than {folds} examples in time order; there are {len(y)}"
    if len(y) < folds:
        return f"{folds} folds need at least {folds} examples; there are {len(y)}"
    if stratify and not ordered:
        values, counts = np.unique(_labels(y), return_counts=True)
        fewest = int(np.argmin(counts))
        if counts[fewest] < folds:
            label = values[fewest]
            named = class_names[int(label)] if class_names and 0 <= int(label) < len(class_names) else label
            return (
                f"class {str(named)!r} has only {counts[fewest]} examples once the test split is held out; "
                f"each of {folds} stratified folds needs one (at most {counts[fewest]} folds)"
            )
    return None


def fold_indices(
    y: np.ndarray,
    *,
    folds: int,
    fold: int,
    repeat: int,
    seed: int,
    stratify: bool,
    ordered: bool,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) indices into the pool for fold `fold` (1 to `folds`). Stratified
    folds keep each class's share; `groups` keep each group in one fold; `ordered` is an
    expanding window (scikit-learn's TimeSeriesSplit): fold k trains on the first k of folds+1
    blocks and validates on the next."""
    import numpy as np
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold, TimeSeriesSplit

    labels = _labels(y)
    if ordered:
        splitter = TimeSeriesSplit(n_splits=folds)
    elif groups is not None:
        grouped = StratifiedGroupKFold if stratify else GroupKFold
        splitter = grouped(n_splits=folds, shuffle=True, random_state=fold_seed(seed, repeat))
    elif stratify:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=fold_seed(seed, repeat))
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=fold_seed(seed, repeat))
    for k, (train, val) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups), start=1):
        if k == fold:
            return train, val
    raise ValueError(f"fold {fold} is not one of {folds}")
