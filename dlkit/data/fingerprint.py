"""The content hash a run records of its data (`dataset_fingerprint`), so that a resumed or
reproduced run can tell the data changed.

Data streamed from disk is hashed by its files' contents: reading 20,000 images takes seconds, so
the hash is kept in a small cache (`$DLKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/dlkit` or
`~/.cache/dlkit`), found again by each file's path, size and modification time, as `make` and
`rsync` tell a changed file. The cached value is the same hash, not another kind of one. The same
cache remembers other work done on exactly those files (`seen`, `remember`): a loader's check that
each is a readable image; and keeps what some work made of them (`keep_array`, `recall_array`):
the pixels `data.cache` decodes, within ARRAYS_BYTES of disk."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from dlkit.core.cache import cache_dir
from dlkit.core.errors import WriteError

#: The most disk the arrays `keep_array` keeps take together: beyond it, the least recently used
#: go first; an array larger than half of it is not kept.
ARRAYS_BYTES = 2 * 10**9


def fingerprint(parts: list[tuple[object, bool]]) -> str:
    """The hash of `parts`: (array, or dict of column arrays, or None; whether it holds file paths)."""
    if not any(files and part is not None for part, files in parts):
        return _hash(parts, contents=True)
    cached = _entry("fingerprints", parts)
    try:
        return cached.read_text()
    except OSError:
        pass
    value = _hash(parts, contents=True)
    _store(cached, value)
    return value


def seen(what: str, paths: list[str]) -> bool:
    """Whether `what` was done to exactly these files (paths, sizes, modification times) before."""
    return _entry(what, [(paths, True)]).is_file()


def remember(what: str, paths: list[str]) -> None:
    """Note that `what` was done to these files (nothing if the cache cannot be written)."""
    _store(_entry(what, [(paths, True)]), "")


def array_entry(what: str, key: str, paths: list[str]) -> Path:
    """Where `keep_array` keeps what `what` (done as `key` says) made of exactly these files (their
    paths, sizes and modification times): found once, then read or written."""
    return _entry(what, [(paths, True), ([key], False)]).with_suffix(".npy")


def recall_array(entry: Path, shape: tuple, dtype):
    """The array `keep_array` kept at `entry`, if it is there with this shape and dtype; else None
    (then it is made again)."""
    import numpy as np

    try:
        array = np.load(entry, allow_pickle=False)
        os.utime(entry)  # recently used
    except (OSError, ValueError, EOFError):
        return None
    return array if array.shape == tuple(shape) and array.dtype == dtype else None


def keep_array(entry: Path, array) -> None:
    """Keep `array` at `entry` (`array_entry`) for `recall_array`; the least recently used arrays
    beside it go to keep all within ARRAYS_BYTES. Nothing is kept of an array over half of that,
    where the disk has less than twice its size free, or where the cache cannot be written."""
    import numpy as np

    from dlkit.core.writing import atomic_file

    with contextlib.suppress(OSError, WriteError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        if array.nbytes > ARRAYS_BYTES // 2 or shutil.disk_usage(entry.parent).free < 2 * array.nbytes:
            return
        _make_room(entry.parent, ARRAYS_BYTES - array.nbytes - 1024)  # 1 kB for the .npy header
        with atomic_file(entry) as f:
            np.save(f, array, allow_pickle=False)


def _make_room(folder: Path, room: int) -> None:
    """Remove the least recently used `.npy` files of `folder` until those left take `room` bytes or less."""
    kept = sorted((stat.st_mtime, stat.st_size, path) for path in folder.glob("*.npy") for stat in [path.stat()])
    total = sum(size for _, size, _ in kept)
    for _, size, path in kept:
        if total <= room:
            return
        total -= size
        path.unlink()


def _entry(what: str, parts: list[tuple[object, bool]]) -> Path:
    """The cache file of `what` for these parts, named by their files' paths, sizes and times."""
    return cache_dir() / what / _hash(parts, contents=False)[len("sha256:") :]


def _store(path: Path, text: str) -> None:
    from dlkit.core.runs import atomic_write

    with contextlib.suppress(OSError):  # no cache (a read-only home): done again next time
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)


def _hash(parts: list[tuple[object, bool]], *, contents: bool) -> str:
    """sha256 of the parts; file paths stand for their contents, or (not `contents`) for their
    path, size and modification time."""
    digest = hashlib.sha256()
    for part, files in parts:
        _digest(digest, part, files=files, contents=contents)
    return "sha256:" + digest.hexdigest()


def _digest(digest, part, *, files: bool, contents: bool) -> None:
    import numpy as np  # here: `dlkit validate` imports the loaders, and no numpy

    if part is None:
        return
    if isinstance(part, dict):
        for name in sorted(part):
            digest.update(name.encode())
            _digest(digest, part[name], files=files, contents=contents)
        return
    array = np.asarray(part)
    digest.update(f"{array.dtype}{array.shape}".encode())
    if files:
        for path in array:
            if contents:  # in blocks: a streamed table's shard may be larger than memory
                with open(str(path), "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        digest.update(block)
            else:
                stat = os.stat(str(path))
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    elif array.dtype.kind in "OUS":
        for item in array.reshape(-1):
            digest.update(str(item).encode() + b"\0")
    else:
        digest.update(np.ascontiguousarray(array).data)
