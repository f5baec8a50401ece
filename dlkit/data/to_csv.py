"""`dlkit to-csv`: a bundled dataset of numeric feature rows written as a CSV table."""

from __future__ import annotations

from pathlib import Path

from dlkit.core.errors import UsageError
from dlkit.core.registries import DATASETS


def write_table(dataset: str, path: Path) -> int:
    """`dlkit to-csv`: a dataset of numeric feature rows (iris, wine, breast_cancer, diabetes,
    boston_housing) as a CSV with its feature names as columns and the label in `target` (the
    class name for classification), training and test rows together. Returns the row count."""
    import numpy as np
    import pandas as pd

    from dlkit.core.runs import atomic_write

    refusal = UsageError(f"dlkit to-csv: {dataset} is not a table of numeric features; try breast_cancer or iris")
    if not DATASETS.get(dataset).to_csv:  # checked before loading: another dataset may be a download
        raise refusal
    arrays = DATASETS.get(dataset)().load()
    if arrays.kind != "array" or np.ndim(arrays.x_train) != 2:
        raise refusal
    parts = [(arrays.x_train, arrays.y_train), (arrays.x_test, arrays.y_test)]
    x = np.concatenate([p[0] for p in parts if p[0] is not None])
    y = np.concatenate([p[1] for p in parts if p[1] is not None])
    names = arrays.feature_names or [f"feature_{i}" for i in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=names)
    frame["target"] = [arrays.class_names[int(v)] for v in y] if arrays.class_names else y
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(Path(path), frame.to_csv(index=False).encode())
    return len(frame)
