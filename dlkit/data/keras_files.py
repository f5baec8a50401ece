"""Readers for the Keras datasets' files (npz, gzipped IDX, CIFAR pickle batches), without Keras.

CIFAR batches and the imdb/reuters word lists are pickles: they are read with an unpickler that can only
rebuild numpy arrays, so a tampered file cannot run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlkit.core.errors import DataError
from dlkit.core.strict import listed
from dlkit.data.bounds import check_npz

if TYPE_CHECKING:
    import numpy as np

#: What a pickled numpy array, dtype or scalar refers to (numpy 2 spells `numpy.core` `numpy._core`).
#: Any other global is how a malicious pickle runs code (`os.system`, `builtins.eval`, ...).
_NUMPY_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),  # arrays, pickle protocol <= 4
    ("numpy.core.numeric", "_frombuffer"),  # arrays, pickle protocol 5
    ("numpy.core.multiarray", "scalar"),  # numpy scalars, e.g. an np.int64 label in a list
}


class _NumpyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module.replace("numpy._core", "numpy.core", 1), name) not in _NUMPY_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed")
        return super().find_class(module, name)


def unpickle(data: bytes, source: Path, encoding: str) -> Any:
    try:
        return _NumpyUnpickler(io.BytesIO(data), encoding=encoding).load()
    except pickle.UnpicklingError as e:
        raise DataError(f"{source}: {e}; the file is corrupt or was tampered with") from None
    except Exception as e:  # whatever a malformed pickle raises, the file is unreadable
        raise DataError(f"{source}: not a readable pickle: {e}") from None


def read_npz(path: Path, names: tuple[str, ...], max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """The named arrays of an .npz; object arrays (ragged word lists) go through the numpy-only
    unpickler. Refused first if they declare more than `max_bytes` or the memory available."""
    import numpy as np

    check_npz(path, max_bytes, names)
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = {m[: -len(".npy")]: m for m in archive.namelist() if m.endswith(".npy")}
            missing = [n for n in names if n not in members]
            if missing:
                raise DataError(
                    f"{path}: missing arrays {', '.join(missing)}; expected {', '.join(names)}. "
                    f"Received: {listed(sorted(members)) or 'none'}"
                )
            for name in names:
                npy = io.BytesIO(archive.read(members[name]))
                version = np.lib.format.read_magic(npy)
                # Format 3.0 differs from 2.0 only in the header's text encoding, not its layout.
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else None
                _, _, dtype = (read_header or np.lib.format.read_array_header_2_0)(npy)
                if dtype.hasobject:
                    arrays[name] = unpickle(npy.read(), path, encoding="latin1")
                    if not isinstance(arrays[name], np.ndarray):
                        raise DataError(f"{path}: {name} is not an array. Received: {type(arrays[name]).__name__}")
                else:
                    npy.seek(0)
                    arrays[name] = np.lib.format.read_array(npy, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as e:
        raise DataError(f"{path}: cannot read as .npz: {e}") from None
    return arrays


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """A gzipped IDX file, the MNIST family's format: magic 0x0800+ndim, ndim big-endian sizes, uint8s."""
    import numpy as np

    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read as a gzipped IDX file: {e}") from None
    offset = 4 + 4 * ndim
    magic, *shape = (int.from_bytes(data[i : i + 4], "big") for i in range(0, offset, 4))
    if magic != 0x0800 + ndim or len(data) != offset + int(np.prod(shape)):
        raise DataError(f"{path}: not an IDX file of {ndim}-dimensional uint8 data (magic {0x0800 + ndim:#06x})")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(shape)


def read_cifar(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled CIFAR batch: a dict of `data` (N, 3072), red then green then blue planes, and labels."""
    import numpy as np

    batch = unpickle(path.read_bytes(), path, encoding="bytes")
    if isinstance(batch, dict):
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
        x, y = batch.get("data"), batch.get(label_key)
        if isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 2 and x.shape[1] == 3072:
            if y is not None and len(y) == len(x):
                return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.asarray(y, "int64")
    raise DataError(f"{path}: not a CIFAR batch; expected a dict of 'data' ((N, 3072) uint8) and '{label_key}'")


def paired(source: Path, x: np.ndarray, y: np.ndarray) -> None:
    if len(x) != len(y):
        raise DataError(f"{source}: one label per example expected. Received: {len(x)} examples, {len(y)} labels")
