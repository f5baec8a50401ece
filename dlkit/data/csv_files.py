"""Reading CSV files as dlkit does everywhere: column names normalised (`Petal Length (cm)` is
`petal_length_cm`), chosen columns kept as text, a bad file one line naming it, and a large file
in frames of a bounded number of rows."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection
from pathlib import Path

from dlkit.core.errors import DataError


def column_name(name: str) -> str:
    """`" Petal Length (cm)"` -> `petal_length_cm`: the names configs and predict use."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def read_csv(path: Path, text: Collection[str] = ()):
    """The file as a DataFrame with normalised column names; a bad file is a DataError. The
    columns named in `text` keep the file's text: pandas alone reads an id column holding one
    blank cell, or any cell `60.0`, as floats."""
    return next(csv_frames(path, text))


def csv_frames(path: Path, text: Collection[str] = (), rows: int | None = None):
    """`read_csv` in frames of at most `rows` rows (the whole file as one when None), so that a
    large file is never whole in memory; a fault the reading meets is a DataError when the frame
    holding it is read (the frames before it are good)."""
    import pandas as pd

    if not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    with _csv_faults(path):
        text = set(text)
        header = pd.read_csv(path, nrows=0, skipinitialspace=True).columns if text else []
        as_text = {raw: str for raw in header if column_name(raw) in text}
        frames = pd.read_csv(path, skipinitialspace=True, dtype=as_text or None, chunksize=rows)
    if rows is None:
        yield named(frames, path)
        return
    with frames:
        while True:
            with _csv_faults(path):
                frame = next(frames, None)
            if frame is None:
                return
            yield named(frame, path)


@contextlib.contextmanager
def _csv_faults(path: Path):
    """pandas' errors reading `path` as one line naming it."""
    import pandas as pd

    try:
        yield
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read as CSV: {' '.join(str(e).split())}") from None


def named(frame, path: Path):
    """The frame with normalised column names; two columns of one name are a DataError."""
    frame.columns = [column_name(c) for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise DataError(f"{path}: columns with the same normalised name: {', '.join(duplicated)}")
    return frame
