"""Examples as dlkit holds them, one array or a dict of column arrays (a table), taken and joined
by rows the same way whichever they are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def take(x: Any, indices: np.ndarray | slice) -> Any:
    """Rows `indices` (or a slice) of an array or of each column of a dict."""
    import numpy as np

    if isinstance(x, dict):
        return {name: column[indices] for name, column in x.items()}
    if hasattr(x, "rows_at"):  # a streamed table's rows: those columns, read (sorted indices)
        return x.rows_at(indices)
    return np.asarray(x)[indices]


def count(x: Any) -> int:
    """How many rows an array, or a dict of columns, holds."""
    return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


def concatenate(parts: list) -> Any:
    """Parts of rows (arrays, or dicts of columns) as one."""
    import numpy as np

    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], dict):
        return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return np.concatenate(parts)
