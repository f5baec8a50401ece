"""Data files that declare more than they hold (an npz bomb, a wide CSV) and their configs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from conftest import write_config

ARRAY_RUN = {
    "name": "bounded",
    "task": "classification",
    "model": {"layers": ["flatten", {"type": "dense", "units": 2, "activation": "softmax"}]},
    "train": {"epochs": 1},
}


def npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    buffer = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def bomb(path: Path, shape: tuple[int, ...], zeros: int = 0, member: str = "x_train") -> Path:
    """An .npz whose `member` declares `shape` float32 in its hand-written header, followed by
    `zeros` bytes of zeros (compressed: the file stays small), beside a real 2-class y_train."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(f"{member}.npy", "w", force_zip64=True) as f:
            f.write(npy_header(shape, "float32"))
            chunk = b"\0" * (1 << 20)
            for _ in range(zeros >> 20):
                f.write(chunk)
        buffer = io.BytesIO()
        np.save(buffer, np.arange(100) % 2)
        archive.writestr("y_train.npy", buffer.getvalue())
    return path


def npz_config(folder: Path, npz: Path, **data) -> Path:
    options = {"path": str(npz), "kind": "array"}
    return write_config(folder, {**ARRAY_RUN, "data": {"dataset": "npz", "options": options, **data}})


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlkit: error: "), result.output[-3000:]
    assert "Traceback" not in result.output
    return lines[0].removeprefix("dlkit: error: ")


def wide_csv(path: Path, rows: int, columns: int) -> Path:
    rng = np.random.default_rng(0)
    header = ",".join([*(f"c{i}" for i in range(columns)), "target"])
    lines = [",".join([*(f"{v:.3f}" for v in rng.normal(size=columns)), str(i % 2)]) for i in range(rows)]
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def csv_config(folder: Path, csv: Path, **data) -> Path:
    data = {"dataset": "csv", "options": {"path": str(csv), "target": "target"}, **data}
    return write_config(folder, {**ARRAY_RUN, "data": data, "model": {"layers": [
        {"type": "dense", "units": 2, "activation": "softmax"}]}})  # fmt: skip
