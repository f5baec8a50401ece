"""Data files that would take more memory (or time) than there is: refused before they are read, in
one line with the figures, by `validate` and `train` alike. An `.npz`'s arrays are measured from
their headers, a CSV from its header and size; `data.max_bytes` bounds both."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile

import numpy as np

from conftest import REPO, write_config
from helpers.data_bounds import ARRAY_RUN, bomb, csv_config, npy_header, npz_config, one_error_line, wide_csv


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
