"""Data files that would take more memory (or time) than there is: refused before they are read, in
one line with the figures, by `validate` and `train` alike. An `.npz`'s arrays are measured from
their headers, a CSV from its header and size; `data.max_bytes` bounds both."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, write_config

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


def test_an_npz_declaring_more_than_the_memory_is_refused_by_validate(cli, tmp_path):
    npz = bomb(tmp_path / "x.npz", (1_000_000, 250_000))  # 1 TB of float32, in a file of a few hundred bytes
    assert npz.stat().st_size < 2000
    result = cli("validate", npz_config(tmp_path, npz))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"data.options.path: {npz}: x_train declares 1.0 TB (1000000x250000 float32); " in line
    assert "data.max_bytes is null and " in line and " GB is available" in line
    # `dlkit init` looks into the file to draft a config: measured first too.
    drafted = cli("init", npz, "-o", tmp_path / "drafted.yaml")
    assert drafted.exit_code == 1
    assert one_error_line(drafted).startswith(f"{npz}: x_train declares 1.0 TB (1000000x250000 float32); ")


def test_train_refuses_an_npz_bomb_before_its_memory_grows(tmp_path):
    """A 1 MB file whose x_train declares 1 TB and holds 256 MB of zeros: `dlkit train` (its own
    process) refuses it in one line, with its peak memory that of TensorFlow alone."""
    npz = bomb(tmp_path / "x.npz", (1_000_000, 250_000), zeros=256 << 20)
    assert npz.stat().st_size < 2 << 20
    config = npz_config(tmp_path, npz, max_bytes="100MB")
    train = [sys.executable, "-m", "dlkit", "train", str(config), "--runs-dir", str(tmp_path / "runs"), "-q"]
    # A process of its own whose only child is `train`, so the peak it reports is train's.
    peak = "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    peak += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", peak, *train], capture_output=True, text=True, env=env, timeout=300)
    took = time.monotonic() - started
    kilobytes, code = map(int, done.stdout.split()[-2:])
    lines = done.stderr.strip().splitlines()
    assert code == 1 and len(lines) == 1, done.stderr[-3000:]
    assert lines[0] == (
        f"dlkit: error: data.options.path: {npz}: x_train declares 1.0 TB (1000000x250000 float32); "
        f"data.max_bytes is 100.0 MB and {lines[0].split(' and ')[-1]}"
    )
    assert kilobytes < 1_500_000, f"peak memory {kilobytes / 1e6:.1f} GB"  # TensorFlow alone: about 0.8 GB
    assert took < 120, took  # TensorFlow's start-up on a busy machine; reading 256 MB of zeros would add to it
    assert not any((tmp_path / "runs").glob("*/model.keras"))


def test_data_max_bytes_bounds_what_fits_in_memory(cli, tmp_path):
    npz = tmp_path / "x.npz"
    np.savez_compressed(npz, x_train=np.zeros((1000, 100), "float32"), y_train=np.arange(1000) % 2)
    refused = cli("validate", npz_config(tmp_path, npz, max_bytes="100kB"))
    assert refused.exit_code == 2
    line = one_error_line(refused)
    assert f"{npz}: x_train declares 400.0 kB (1000x100 float32); data.max_bytes is 100.0 kB and " in line
    assert cli("validate", npz_config(tmp_path, npz, max_bytes="1MB")).exit_code == 0

    np.savez_compressed(npz, x_train=np.zeros((600, 100), "float32"), y_train=np.arange(600) % 2,
                        x_test=np.zeros((600, 100), "float32"), y_test=np.arange(600) % 2)  # fmt: skip
    config = npz_config(tmp_path, npz, max_bytes="300kB")
    refused = cli("train", config, "--runs-dir", tmp_path / "runs")
    assert refused.exit_code == 1
    line = one_error_line(refused)
    assert f"{npz}: its arrays declare 489.6 kB together (x_train 240.0 kB, y_train 4.8 kB, x_test 240.0 kB" in line
    assert not (tmp_path / "runs").exists()

    wrong = cli("validate", npz_config(tmp_path, npz, max_bytes="lots"))
    assert wrong.exit_code == 2 and "data.max_bytes: could not parse value and unit" in wrong.stderr


def test_a_keras_format_npz_is_measured_before_it_is_read(cli, tmp_path):
    """`dataset: mnist` with a local copy (options.path) reads Keras's .npz: bounded the same way."""
    npz = tmp_path / "mnist.npz"
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, shape in (("x_train", (10**9, 28, 28)), ("y_train", (10**9,)), ("x_test", (10, 28, 28)),
                            ("y_test", (10,))):  # fmt: skip
            archive.writestr(f"{name}.npy", npy_header(shape, "uint8"))
    config = write_config(tmp_path, {**ARRAY_RUN, "data": {"dataset": "mnist", "options": {"path": str(npz)}}})
    result = cli("train", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1
    assert f"{npz}: x_train declares 784.0 GB (1000000000x28x28 uint8); data.max_bytes is null" in one_error_line(
        result
    )


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


def test_a_csv_of_10000_columns_is_refused_up_front(cli, tmp_path):
    """Each column of a csv table is a model input of its own: 60 rows of 10,000 columns did not
    finish training in 300 s (1,000: 410 s). Refused before pandas reads the file."""
    csv = wide_csv(tmp_path / "wide.csv", 60, 10_000)
    config = csv_config(tmp_path, csv)
    for command, code in ((("validate",), 2), (("train", "--runs-dir", tmp_path / "runs"), 1)):
        started = time.monotonic()
        result = cli(command[0], config, *command[1:])
        assert time.monotonic() - started < 10
        assert result.exit_code == code
        line = one_error_line(result)
        assert f"data.options.path: {csv}: 10,000 input columns; a csv table takes at most 1,000 " in line
        assert "data.options.features" in line and "(dataset: npz, options.kind: array)" in line
    assert not (tmp_path / "runs").exists()
    # Choosing columns is the way out the message gives.
    assert cli("validate", config, "--set", "data.options.features=[c1, c2, c3]").exit_code == 0


def test_a_csv_with_more_cells_than_max_bytes_is_refused(cli, tmp_path):
    csv = wide_csv(tmp_path / "t.csv", 2000, 20)
    result = cli("validate", csv_config(tmp_path, csv, max_bytes="100kB"))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"data.options.path: {csv}: the table declares " in line
    assert " kB (about " in line and " rows x 21 columns, 8 bytes a cell as pandas holds them); " in line
    assert "data.max_bytes is 100.0 kB and " in line
    assert cli("validate", csv_config(tmp_path, csv, max_bytes="10MB")).exit_code == 0


@pytest.mark.parametrize("rows", [0, 1, 7, 5000])
def test_a_csv_row_count_is_exact_when_small_and_close_when_large(tmp_path, rows):
    from dlkit.data.bounds import csv_cells

    path = wide_csv(tmp_path / "t.csv", rows, 3)
    counted, cells = csv_cells(path, 4)
    if path.stat().st_size <= 1 << 16:
        assert counted == rows
    else:
        assert abs(counted - rows) < rows * 0.05
    assert cells == counted * 4


def test_the_available_memory_is_read_from_the_system():
    from dlkit.data.bounds import available_memory

    available = available_memory()
    assert available is None or 0 < available < 2**50
    if Path("/proc/meminfo").exists():
        assert available is not None
