"""What a dataset's labels are (integers, numbers with fractions, text, masks), told the same way
from a peek at a file (`dlkit validate`) and from the loaded labels (`dlkit train`), so that a task
that does not fit them is refused in the same words by both. Standard library at import."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

#: Class labels that are whole numbers.
INTEGERS = "integers"
#: Numbers with fractions: quantities.
FLOATS = "floats"
#: Names (any label that is not a number).
TEXT = "text"
#: A class per pixel: an integer mask per example.
MASKS = "masks"


@dataclasses.dataclass(frozen=True)
class Target:
    """The kind of a dataset's labels, where messages find them, and an example of them."""

    kind: str
    #: The config key under `data` that names the labels: ("options", "target"), ("dataset",).
    key: tuple
    #: How messages call them: `column 'species'`, `seg`, `dataset 'mnist'`.
    subject: str
    #: Distinct values (0 where not counted, as for masks).
    distinct: int = 0
    #: One value, as a message shows it: the first name in sorted order, the smallest fraction.
    example: str = ""

    @property
    def where(self) -> str:
        return "data." + ".".join(map(str, self.key))

    def described(self) -> str:
        """`text ('Adelie', ...)`, `numbers with fractions (157 distinct, e.g. 2.5)`."""
        if self.kind == TEXT:
            return f"text ({self.example!r}, ...)"
        if self.kind == MASKS:
            return "masks (a class per pixel)"
        what = "numbers with fractions" if self.kind == FLOATS else "integer labels"
        return f"{what} ({self.distinct:,} distinct, e.g. {self.example})"


def of_cells(cells: Iterable, key: tuple, subject: str) -> Target | None:
    """From the present cells of a label column (strings as a file writes them, or the numbers
    pandas read from them); None for a column with no cell."""
    texts, numbers = set(), set()
    for cell in cells:
        text = str(cell).strip()
        number = _number(text)
        if number is None:
            texts.add(text)
        else:
            numbers.add(number)
    if texts:
        return Target(TEXT, key, subject, len(texts) + len(numbers), min(texts))
    if not numbers:
        return None
    fractions = sorted(n for n in numbers if not n.is_integer())
    if fractions:
        return Target(FLOATS, key, subject, len(numbers), f"{fractions[0]:g}")
    return Target(INTEGERS, key, subject, len(numbers), str(int(min(numbers))))


def of_labels(y, key: tuple, subject: str) -> Target | None:
    """From loaded labels: (N, H, W, ...) of integers are masks; other arrays by their values."""
    import numpy as np

    y = np.asarray(y)
    if not y.size:
        return None
    if y.dtype.kind in "fiub":
        values = y[np.isfinite(y)] if y.dtype.kind == "f" else y
        whole = y.dtype.kind != "f" or bool((values == np.round(values)).all())
        if y.ndim >= 3 and whole:
            return Target(MASKS, key, subject)
        return of_cells(np.unique(values).tolist(), key, subject)
    return of_cells(np.unique(y.astype(str)).tolist(), key, subject)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
