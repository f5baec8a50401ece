"""How much memory a data file will take, known before reading it: an `.npz`'s arrays from the
header of each `.npy` member (shape and dtype; the data itself is not decompressed), a CSV's cells
from its header and its size. A file that would not fit `data.max_bytes` or the memory available
is refused in one line with the figures, before any of it is loaded. Standard library and numpy only."""

from __future__ import annotations

import dataclasses
import math
import os
import zipfile
from pathlib import Path

from dlkit.core.errors import DataError

#: Bytes pandas holds per CSV cell (a float64, or a pointer to a string object): the estimate of a
#: table in memory is its cells times this, a floor (strings take more).
CELL_BYTES = 8
#: How much of a CSV is read to measure its lines (the rest is estimated from the file's size).
SAMPLE_BYTES = 1 << 16


def available_memory() -> int | None:
    """Memory the system can give without swapping: `MemAvailable` of /proc/meminfo (Linux), else
    psutil's `available` where psutil is installed; None where neither tells."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def shown_bytes(n: int) -> str:
    """`3.1 GB`: decimal units, as `data.max_bytes: 2GB` reads."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


@dataclasses.dataclass
class Part:
    """One thing a file will put in memory: an array, or a table's cells."""

    name: str
    nbytes: int
    #: How it comes to that size: `1000000x28x28 float32`.
    what: str


def check_fits(path: Path, parts: list[Part], max_bytes: int | None) -> None:
    """A DataError naming the part (or the parts together) and the figures when `parts` declare
    more than `max_bytes` (`data.max_bytes`) or the memory available now."""
    total = sum(part.nbytes for part in parts)
    available = available_memory()
    limits = [n for n in (max_bytes, available) if n is not None]
    if not limits or total <= min(limits):
        return
    biggest = max(parts, key=lambda part: part.nbytes)
    if len(parts) == 1 or biggest.nbytes > min(limits):
        what = f"{biggest.name} declares {shown_bytes(biggest.nbytes)} ({biggest.what})"
    else:
        each = ", ".join(f"{part.name} {shown_bytes(part.nbytes)}" for part in parts)
        what = f"its arrays declare {shown_bytes(total)} together ({each})"
    budget = "data.max_bytes is null" if max_bytes is None else f"data.max_bytes is {shown_bytes(max_bytes)}"
    free = "the available memory is not known" if available is None else f"{shown_bytes(available)} is available"
    raise DataError(f"{path}: {what}; {budget} and {free}")


def npz_parts(path: Path, names: tuple[str, ...] | None = None) -> list[Part]:
    """The size each `.npy` member of the `.npz` declares (all, or those in `names`), read from its
    header through the zip member's stream; a pickled (object) array counts its member's size."""
    import numpy as np

    parts = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename.removesuffix(".npy")
                if not info.filename.endswith(".npy") or (names is not None and name not in names):
                    continue
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else None
                    shape, _, dtype = (read or np.lib.format.read_array_header_2_0)(member)
                if any(n < 0 for n in shape):
                    raise ValueError(f"{name} declares the shape {shape}")
                if dtype.hasobject:  # unpickled whole: what it holds is the member's own size
                    parts.append(Part(name, info.file_size, f"{shown_bytes(info.file_size)} pickled"))
                else:
                    count = math.prod(shape)
                    what = f"{'x'.join(map(str, shape)) or 'a scalar'} {dtype}"
                    parts.append(Part(name, count * dtype.itemsize, what))
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: cannot read as .npz: {e}") from None
    return parts


def check_npz(path: Path, max_bytes: int | None, names: tuple[str, ...] | None = None) -> None:
    """Refuse an `.npz` whose arrays would not fit (see `check_fits`), before loading it."""
    check_fits(path, npz_parts(path, names), max_bytes)


def csv_cells(path: Path, columns: int) -> tuple[int, int]:
    """(rows, cells) of a CSV with `columns` columns, the rows estimated from the file's size and
    the length of its first lines (quoted line breaks count as rows: an estimate on the high side)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    lines = sample.count(b"\n")
    if size <= len(sample):
        rows = max(lines - 1, 0) + (0 if sample.endswith(b"\n") else 1)
    else:
        rows = round(size / (len(sample) / max(lines, 1)))
    return rows, rows * columns


def check_csv(path: Path, columns: int, max_bytes: int | None) -> None:
    """Refuse a CSV whose cells would not fit (see `check_fits`), before pandas reads it."""
    rows, cells = csv_cells(path, columns)
    what = f"about {rows:,} rows x {columns:,} columns, {CELL_BYTES} bytes a cell as pandas holds them"
    check_fits(path, [Part("the table", cells * CELL_BYTES, what)], max_bytes)
