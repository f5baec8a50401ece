"""`train.distribute: {strategy: mirrored}`: on 2 logical CPU devices a run ends where one device
ends (every weight tensor, the metrics), resumes after a kill to the uninterrupted result, loads
without any strategy; bad `devices` are one line, exit 2, no run folder.

A mirrored run trains in a process of its own (`python -m dlkit train`): the logical CPU devices
must be made before TensorFlow starts, and in this test process it has started already."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, TINY, last_state, signal_training, write_config
from dlkit.training import state as saved_state
from helpers.distribute import ATOL, EVEN, _run_dir, _weights

MIRRORED = {**EVEN, "train": {**EVEN["train"], "distribute": {"strategy": "mirrored", "devices": 2}}}


def _train_apart(config: Path, runs: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "dlkit", "train", str(config), "--runs-dir", str(runs), "-q", *args]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A one-device run in this process and a mirrored run on 2 logical CPU devices apart."""
    from typer.testing import CliRunner

    from dlkit.cli import app

    folder = tmp_path_factory.mktemp("pair")
    one = CliRunner().invoke(app, ["train", str(write_config(folder, EVEN, "one.yaml")), "--runs-dir",
                                   str(folder / "one"), "-q"])  # fmt: skip
    assert one.exit_code == 0, one.stderr
    mirrored = _train_apart(write_config(folder, MIRRORED, "mirrored.yaml"), folder / "mirrored")
    return _run_dir(one.stdout), _run_dir(mirrored.stdout)


def test_a_mirrored_run_ends_where_one_device_ends(pair):
    one, mirrored = pair
    mine, theirs = _weights(mirrored / "checkpoints" / "last.keras"), _weights(one / "checkpoints" / "last.keras")
    assert len(mine) == len(theirs) == 4  # conv and dense kernels and biases
    for (name, value), (_, single) in zip(mine, theirs, strict=True):
        assert value.shape == single.shape, name
        np.testing.assert_allclose(value, single, rtol=0, atol=ATOL, err_msg=name)
        assert np.abs(value).max() > 0.01, name  # trained, not a pair of untouched zeros
    ours, single = (json.loads((run / "metrics.json").read_text()) for run in (mirrored, one))
    assert ours.keys() == single.keys() == {"train", "val", "test", "baselines"}
    assert ours["baselines"] == single["baselines"]  # the same splits: the same majority class
    for split, figures in ((split, single[split]) for split in ("train", "val", "test")):
        assert {k: round(v, 3) for k, v in ours[split].items()} == {k: round(v, 3) for k, v in figures.items()}
    with open(mirrored / "history.csv", newline="") as f:
        assert [int(row["epoch"]) for row in csv.DictReader(f)] == [1, 2]
    assert json.loads((mirrored / "run.json").read_text())["status"] == "completed"


#: (override, weight tolerance, metric tolerance). bfloat16 keeps 8 bits of mantissa (steps of
#: 2^-8 = 0.4% of a value), so the other summation order shows at that size: measured 4.8e-3 on
#: the weights, 1.3e-3 on the metrics; on another machine of the same kind 2.01e-2 on one weight
#: of 2,880 (a value of 0.14) after two epochs, hence 3e-2. Pruning's masks are variables of a callback, made outside
#: the strategy's scope: measured 1.8e-7, as without pruning.
TOGETHER = {
    "mixed_bfloat16": ({"precision": "mixed_bfloat16"}, 3e-2, 5e-3),
    "prune": ({"prune": {"target_sparsity": 0.5, "end_epoch": 2}}, ATOL, 5e-4),
}


@pytest.mark.slow
@pytest.mark.parametrize("option", sorted(TOGETHER))
def test_mirrored_with_mixed_precision_or_pruning_ends_where_one_device_ends(tmp_path, option):
    change, weights_atol, metrics_atol = TOGETHER[option]
    one = {**EVEN, "train": {**EVEN["train"], **change}}
    both = {**MIRRORED, "train": {**MIRRORED["train"], **change}}
    runs = [
        _run_dir(_train_apart(write_config(tmp_path, data, f"{name}.yaml"), tmp_path / name).stdout)
        for name, data in (("one", one), ("mirrored", both))
    ]
    single, mirrored = (_weights(run / "checkpoints" / "last.keras") for run in runs)
    for (name, value), (_, theirs) in zip(mirrored, single, strict=True):
        np.testing.assert_allclose(value.astype("float32"), theirs.astype("float32"), rtol=0, atol=weights_atol,
                                   err_msg=name)  # fmt: skip
    theirs, ours = (json.loads((run / "metrics.json").read_text()) for run in runs)
    for split in ("train", "test"):
        for name, value in theirs[split].items():
            assert ours[split][name] == pytest.approx(value, abs=metrics_atol), (split, name)
    if option == "prune":
        assert ours["sparsity"]["overall"] == pytest.approx(0.5, abs=0.01)


def test_a_mirrored_model_loads_and_evaluates_without_a_strategy(pair, cli):
    import keras

    one, mirrored = pair
    x = np.random.default_rng(0).integers(0, 17, (16, 8, 8, 1)).astype("float32")
    ours = keras.saving.load_model(mirrored / "model.keras", safe_mode=True).predict(x, verbose=0)
    single = keras.saving.load_model(one / "model.keras", safe_mode=True).predict(x, verbose=0)
    np.testing.assert_allclose(ours, single, atol=1e-4)
    evaluated = cli("eval", mirrored)
    assert evaluated.exit_code == 0, evaluated.stderr
    figures = json.loads((mirrored / "eval" / "metrics.json").read_text())["test"]
    assert round(figures["accuracy"], 3) == round(json.loads((one / "metrics.json").read_text())["test"]["accuracy"], 3)


def test_scale_lr_linear_multiplies_the_learning_rate_by_the_devices(tmp_path):
    data = {**MIRRORED, "train": {**MIRRORED["train"], "epochs": 1}}
    data["train"]["distribute"] = {**data["train"]["distribute"], "scale_lr": "linear"}
    run = _run_dir(_train_apart(write_config(tmp_path, data), tmp_path / "runs").stdout)
    with open(run / "history.csv", newline="") as f:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(f)]
    assert rates == [pytest.approx(2 * TINY["train"]["optimizer"]["learning_rate"])]


def _too_many() -> tuple[str, str]:
    """A device count and a device name this machine does not have, and what the message says."""
    import tensorflow as tf

    from dlkit.training.distributed.distribute import usable_cores

    gpus = len(tf.config.list_physical_devices("GPU"))
    return str((gpus or usable_cores()) + 1), f"GPU:{gpus}"


def test_devices_this_machine_does_not_have_are_one_line_and_no_run_folder(tmp_path, cli):
    count, name = _too_many()
    config = write_config(tmp_path, MIRRORED)
    cases = {
        count: f"asks for {count} devices, but this",
        f"[{name}]": f"asks for {name}, but this machine has",
        "0": "must be 1 or more devices",
        "[TPU:0]": "'TPU:0' is not a local device name",
        "[GPU:0, CPU:1]": "all GPUs or all CPUs",
    }
    for value, message in cases.items():
        result = cli("train", config, "--set", f"train.distribute.devices={value}", "--runs-dir", tmp_path / "runs")
        assert result.exit_code == 2, (value, result.stderr)
        line = result.stderr.strip()
        assert "train.distribute.devices" in line and message in line and "\n" not in line, line
        assert len(line) < 300 and "Traceback" not in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_a_mirrored_run_killed_mid_run_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGKILL after 2 of 4 epochs, then --resume (each in a process of its own, as a user would):
    the same metrics.json and history.csv as the mirrored run left alone."""
    data = {**MIRRORED, "train": {**MIRRORED["train"], "epochs": 4}}
    config = write_config(tmp_path, data)
    alone = _run_dir(_train_apart(config, tmp_path / "alone").stdout)

    killed = tmp_path / "killed"
    run_dir, _ = signal_training(config, killed, lambda state: state["epochs_done"] >= 2, signal.SIGKILL)
    assert 2 <= last_state(killed)["epochs_done"] < 4, "the kill should land mid-run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}

    env_argv = [sys.executable, "-m", "dlkit", "train", "--resume", str(run_dir), "-q"]
    resumed = subprocess.run(env_argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert _run_dir(resumed.stdout) == run_dir
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()


@pytest.mark.slow
def test_ctrl_c_inside_a_mirrored_epoch_then_resume_ends_as_if_uninterrupted(tmp_path):
    """The epoch's running loss and metrics live in per-replica variables: saved mid-epoch and put
    back on resume, the epoch still reports the means over all its batches. The weights, hence
    metrics.json, are exactly the uninterrupted run's."""
    data = {**MIRRORED, "data": {**MIRRORED["data"], "batch_size": 16}}
    data["train"] = {**MIRRORED["train"], "epochs": 3, "checkpoint_every": 8}
    config = write_config(tmp_path, data)
    alone = _run_dir(_train_apart(config, tmp_path / "alone").stdout)

    inside_epoch_2 = lambda state: state["epochs_done"] == 1 and bool(state.get("step"))  # noqa: E731
    run_dir, stderr = signal_training(config, tmp_path / "stopped", inside_epoch_2, signal.SIGINT)
    assert "dlkit train --resume" in stderr
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    state = saved_state.read(run_dir / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 1 and state["step"], "the Ctrl-C should land inside epoch 2"

    argv = [sys.executable, "-m", "dlkit", "train", "--resume", str(run_dir), "-q"]
    resumed = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"continuing epoch 2 after batch {state['step']}" in resumed.stderr
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())
    # The saved totals go back half to each replica, and the epoch's later batches add to those
    # halves: the sum of the epoch's figures can round differently in float32's last bits.
    ours, theirs = (list(csv.DictReader((run / "history.csv").open(newline=""))) for run in (run_dir, alone))
    assert [row.keys() for row in ours] == [row.keys() for row in theirs] and len(ours) == 3
    for mine, single in zip(ours, theirs, strict=True):
        expected = {k: float(v) for k, v in single.items()}
        assert {k: float(v) for k, v in mine.items()} == pytest.approx(expected, rel=1e-6)


def test_logical_devices_after_tensorflow_started_in_the_process_are_refused(tmp_path, cli):
    """In this process TensorFlow runs already (with one CPU device): it cannot split the CPU now."""
    import tensorflow as tf

    assert int(tf.constant(1) + 1) == 2  # TensorFlow started, if no earlier test started it
    result = cli("train", write_config(tmp_path, MIRRORED), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    assert "must be made before it starts" in result.stderr and "process of its own" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_trials_of_a_study_train_mirrored_one_after_another_in_one_process(tmp_path):
    """`dlkit tune` trains its trials in one process, each a model of other shapes: they share one
    strategy (a new one per trial restarted the all-reduce numbering, and the second trial failed
    on a shape mismatch)."""
    data = {**MIRRORED, "train": {**MIRRORED["train"], "epochs": 1}}
    data["tune"] = {"metric": "val_loss", "trials": 2, "sampler": "grid",
                    "space": {"model.layers.0.filters": {"type": "categorical", "choices": [4, 12]}}}  # fmt: skip
    config = write_config(tmp_path, data)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "dlkit", "tune", str(config), "--runs-dir", str(tmp_path / "runs"), "-q"]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 complete" in done.stdout, done.stdout[-2000:]
