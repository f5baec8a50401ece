"""The rows are the user's: what a loader read, which rows it left out and why, the exact duplicate
rows it kept, and how many held-out rows are identical to a training row (a leak that flatters
the figures). Training prints it as it starts:
`data: 6,366 rows read, 6,366 used (1,178 exact duplicate rows kept; ...)`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np


#: What a table loader does with identical rows (features and target): keep every one, keep the
#: first of each, or keep them all but in one split (so none is trained on and scored on).
Duplicates = Literal["keep", "drop", "group"]


@dataclasses.dataclass
class Rows:
    """What a loader did with the rows of its file(s)."""

    read: int
    #: How many rows were left out, by why (`with a blank target`), in the order they were left out.
    left_out: dict[str, int] = dataclasses.field(default_factory=dict)
    #: The loader's `data.options.duplicates`; None for a loader without that option.
    duplicates: str | None = None
    #: What it counts: the `row`s of a file, the `example`s of a dataset.
    noun: str = "row"
    #: Whether identical examples are looked for (not among files streamed from disk).
    compare: bool = True
    #: How the rows were read, where training should say it (a streamed table's split and sample).
    note: str | None = None

    def leave_out(self, why: str, count: int) -> None:
        if count:
            self.left_out[why] = self.left_out.get(why, 0) + count


def row_keys(x: Any, y) -> np.ndarray:
    """One hash per example of its features and target, equal for identical examples (within
    this process): a table's columns, texts, or arrays of numbers of any shape (images)."""
    import numpy as np
    import pandas as pd

    y = np.asarray(y)
    if isinstance(x, dict) or np.asarray(x).dtype.kind in "USO" or y.dtype.kind in "USO":
        parts = x.values() if isinstance(x, dict) else np.asarray(x).reshape(len(y), -1).T
        columns = {f"x{i}": values for i, values in enumerate(parts)}
        columns.update({f"y{i}": values for i, values in enumerate(y.reshape(len(y), -1).T)})
        return pd.util.hash_pandas_object(pd.DataFrame(columns), index=False).to_numpy()
    # Numbers (images too): the bytes of each example, hashed.
    x = np.ascontiguousarray(x).reshape(len(y), -1)
    y = np.ascontiguousarray(y).reshape(len(y), -1)
    hashes = (hash((a.tobytes(), b.tobytes())) for a, b in zip(x, y, strict=True))
    return np.fromiter(hashes, dtype=np.int64, count=len(y))


def settle_duplicates(policy: str, x: Any, y, rows: Rows) -> tuple[Any, Any, np.ndarray | None]:
    """`data.options.duplicates` on a file's rows: (x, y, groups). `drop` keeps the first of each
    set of identical rows (counted in `rows`); `group` gives identical rows one group, which the
    splits keep together; `keep` changes nothing."""
    import numpy as np

    from dlkit.data.examples import take

    if policy == "keep":
        return x, y, None
    _, first, groups = np.unique(row_keys(x, y), return_index=True, return_inverse=True)
    if policy == "group":
        return x, y, groups.reshape(-1)
    keep = np.sort(first)
    rows.leave_out("as duplicates by duplicates: drop", len(y) - len(keep))
    return take(x, keep), np.asarray(y)[keep], None


def count_of(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
