"""Predict's table rows: a CSV's columns as a table or array run's model takes them, each
categorical cell read as training read it (its vocabulary in the model), values training never
saw marked. `dlkit predict` and `dlkit serve` read rows through these."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class Category:
    """A categorical column as training left it in the model: its vocabulary (None when the model
    has no `<column>_lookup` layer) and, for integer ids, how the vocabulary writes them."""

    vocabulary: frozenset[str] | None
    id_suffix: str | None

    def read(self, value) -> tuple[str, str | None]:
        """The cell as the vocabulary holds it, and its own text if training never saw it."""
        from dlkit.data.table import category_text

        text = category_text(value, self.id_suffix is not None)
        if text and self.id_suffix:
            text += self.id_suffix
        unseen = bool(text) and self.vocabulary is not None and text not in self.vocabulary
        return text, category_text(value, False) if unseen else None


def wanted_columns(model, kind: str, features) -> dict[str, Category | None]:
    """The columns a table or array run's model takes ({} for an array run with unnamed features)."""
    return table_columns(model) if kind == "table" else dict.fromkeys(features or [])


def table_examples(columns: dict[str, np.ndarray], kind: str):
    """Columns of values as the model takes them: a table run's one input per column, an array
    run's one matrix."""
    if kind == "table":
        return {name: column[:, None] for name, column in columns.items()}
    return np.stack(list(columns.values()), axis=1)


def table_columns(model) -> dict[str, Category | None]:
    """The model's input columns: None for a numeric one, the `Category` of a categorical one."""
    from dlkit.data.table import id_suffix

    columns = {}
    for tensor in model.inputs:
        if tensor.dtype != "string":
            columns[tensor.name] = None
            continue
        try:
            vocabulary = model.get_layer(f"{tensor.name}_lookup").get_vocabulary(include_special_tokens=False)
        except ValueError:
            columns[tensor.name] = Category(None, None)
            continue
        vocabulary = [str(v) for v in vocabulary]
        columns[tensor.name] = Category(frozenset(vocabulary), id_suffix(vocabulary))
    return columns


def frame_rows(
    frame, wanted: dict[str, Category | None], path, first: int = 0
) -> tuple[list[dict], dict[str, np.ndarray]]:
    """One row per line of the file (`dlkit serve`: per instance of a request), the frame's first
    row the file's row `first`; a row's error names its first bad column."""
    import pandas as pd

    rows = [{"input": f"{path}:{i + 2}"} for i in range(first, first + len(frame))]
    values = {}
    for name, category in wanted.items():
        cells = frame[name]
        if category is None:
            numbers = pd.to_numeric(cells, errors="coerce")
            for i in np.flatnonzero(numbers.isna().to_numpy() & cells.notna().to_numpy()):
                rows[i].setdefault("error", f"column {name!r}: {cells.iloc[i]!r} is not a number")
            values[name] = numbers.to_numpy("float32")
            continue
        codes, distinct = pd.factorize(cells)  # each distinct cell read once; -1 is a blank one
        read = [_read_cell(category, name, value) for value in distinct] + [("", None, None)]
        texts = []
        for row, code in zip(rows, codes, strict=True):
            text, unseen, error = read[code]
            if error is not None:
                row.setdefault("error", error)
            if unseen is not None:
                row.setdefault("unseen", {})[name] = unseen
            texts.append(text)
        values[name] = np.array(texts, dtype=object)
    return rows, values


def _read_cell(category: Category, name: str, value) -> tuple[str, str | None, str | None]:
    """(text, unseen value, error) of one cell."""
    try:
        return (*category.read(value), None)
    except ValueError as e:
        return "", None, f"column {name!r}: {e}"
