"""Data files that would take more memory than there is, refused by `validate` before they are read:
an `.npz`'s arrays measured from their headers, a CSV from its header and size."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.data_bounds import bomb, csv_config, npz_config, one_error_line, wide_csv


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
