"""What `dlkit validate` learns about a dataset without loading it: that its files are there, a CSV's
header, the distinct values of a label column, a folder's class sub-folders. Standard library only,
so validate stays fast and needs neither pandas nor TensorFlow."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Collection
from pathlib import Path

from dlkit.core.errors import DataError
from dlkit.core.strict import did_you_mean
from dlkit.data.targets import Target

#: Cells pandas reads as missing (`pandas.read_csv`'s default na_values), so that a label column
#: counts the classes the loader will see.
MISSING_CELLS = frozenset(
    "|#N/A|#N/A N/A|#NA|-1.#IND|-1.#QNAN|-NaN|-nan|1.#IND|1.#QNAN|<NA>|N/A|NA|NULL|NaN|None|n/a|nan|null".split("|")
)
#: A label column in a bigger file is not read by validate (its classes stay unknown): the csv module
#: reads about 20 MB a second, and validate should take well under a second.
MAX_LABEL_FILE_BYTES = 4_000_000


@dataclasses.dataclass
class Peek:
    """What a dataset is known to give, short of loading it; None where only loading would tell."""

    source: str
    """How messages name the data: `iris`, `data/iris.csv column 'species'`."""
    class_names: list[str] | None = None
    """The classes as training numbers them."""
    target_width: int | None = None
    """Numbers per example in a regression target."""
    columns: list[str] | None = None
    """A table's input columns, which graph layers take as `columns.NAME`."""
    target: Target | None = None
    """The kind of the labels, which the task is checked against."""


class OptionError(DataError):
    """A `data.options` value that does not fit the files on disk; `key` is its path under
    `data.options`, so validate can name the file and line where it is written."""

    def __init__(self, key: tuple, message: str):
        super().__init__(f"data.options.{'.'.join(map(str, key))}: {message}")
        self.key, self.message = key, message


def _from_here(path: Path) -> str:
    return "" if path.is_absolute() else f" (relative to {Path.cwd()})"


def existing_file(path: Path, key: tuple = ("path",)) -> Path:
    if not path.is_file():
        raise OptionError(key, f"no such file: {path}{_from_here(path)}")
    return path


def class_folders(folder: Path, key: tuple = ("path",), suffixes: Collection[str] = ()) -> list[str]:
    """The class names of a `folder/<class_name>/<files>` layout, sorted; with `suffixes`, each
    class folder must hold at least one such file."""
    if not folder.is_dir():
        raise OptionError(key, f"no such folder: {folder}{_from_here(folder)}")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise OptionError(key, f"{folder}: no class folders; expected {folder}/<class_name>/<files>")
    for name in classes if suffixes else []:
        if not any(p.suffix.lower() in suffixes for p in (folder / name).iterdir()):
            raise OptionError(key, f"{folder / name}: empty class folder (no {', '.join(sorted(suffixes))} files)")
    return classes


def csv_header(path: Path, key: tuple = ("path",)) -> list[str]:
    """The column names on a CSV file's first line, as written."""
    existing_file(path, key)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f, skipinitialspace=True), None)
    except UnicodeDecodeError as e:
        raise OptionError(key, f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except (OSError, csv.Error) as e:
        raise OptionError(key, f"{path}: cannot read as CSV: {e}") from None
    if not header:
        raise OptionError(key, f"{path}: empty file; expected a header line naming the columns")
    return header


def require_column(name: str, header: list[str], path: Path, key: tuple) -> None:
    """`name` (normalised like `header`) must be a column of the file at `path`."""
    if name not in header:
        raise OptionError(key, f"no column {name!r} in {path}; {did_you_mean(name, header)}")


def column_values(path: Path, index: int) -> tuple[set[str], bool] | None:
    """The distinct values of one column (stripped, missing cells left out) and whether any cell
    was missing; None for a file too big to read here or one the csv module cannot parse."""
    if path.stat().st_size > MAX_LABEL_FILE_BYTES:
        return None
    values, missing = set(), False
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = csv.reader(f, skipinitialspace=True)
            next(rows, None)
            for row in rows:
                value = row[index].strip() if len(row) > index else ""
                if value in MISSING_CELLS:
                    missing = True
                else:
                    values.add(value)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return values, missing


def label_classes(values: set[str], missing: bool) -> list[str] | None:
    """The classes training makes of a label column read by pandas: integer labels are class
    indices 0..max (a column with an empty cell is read as floats, whose values are names);
    other labels are names, sorted. None for numbers with fractions: a regression target."""
    if values and not missing and all(re.fullmatch(r"[+-]?\d+", v) for v in values):
        labels = [int(v) for v in values]
        if min(labels) >= 0:
            return [str(i) for i in range(max(labels) + 1)]
    numbers = [_number(v) for v in values]
    if values and None not in numbers and not all(n.is_integer() for n in numbers):
        return None
    return sorted(values)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
