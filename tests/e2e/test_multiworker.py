"""`train.distribute: {strategy: multi_worker}`: 2 workers on 127.0.0.1 (`--local-workers 2`)
end where one device ends (every weight tensor, the metrics) and leave no temporary folder; a
worker killed mid-run stops the others with one line, and `--resume` finishes the run;
`--cluster A,B --task-index I` trains into the chief's folder only; a bad cluster, or one whose
workers never all join, is one line, exit 2, no run folder.

The workers are processes of their own (`python -m dlkit train`), as each must make its
MultiWorkerMirroredStrategy before TensorFlow starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, write_config
from helpers.distribute import ATOL, EVEN, _run_dir, _weights

#: EVEN splits every batch evenly between 2 workers too; ATOL as for mirrored: the same float32
#: sums in another order (each worker sums its half, the all-reduce adds the halves). Measured:
#: at most 2.0e-7 apart after 2 epochs.
WORKERS = {**EVEN, "train": {**EVEN["train"], "distribute": {"strategy": "multi_worker"}}}


def _dlkit(*args, extra_env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO), **(extra_env or {})}
    argv = [sys.executable, "-m", "dlkit", "train", *map(str, args), "-q"]
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("dlkit-workers-*")}


def _metrics(run: Path) -> dict:
    figures = json.loads((run / "metrics.json").read_text())
    return {split: {k: round(v, 3) for k, v in figures[split].items()} for split in ("train", "val", "test")}


def test_two_local_workers_end_where_one_device_ends(tmp_path, cli):
    one = cli("train", write_config(tmp_path, EVEN, "one.yaml"), "--runs-dir", tmp_path / "one", "-q")
    assert one.exit_code == 0, one.stderr
    before = _scratch()
    workers = _dlkit(write_config(tmp_path, WORKERS, "workers.yaml"), "--local-workers", 2, "--runs-dir",
                     tmp_path / "workers")  # fmt: skip
    out, err = workers.communicate(timeout=600)
    assert workers.returncode == 0, err[-2000:]
    single, run = _run_dir(one.stdout), _run_dir(out)
    folders = [p for p in (tmp_path / "workers").iterdir() if not p.is_symlink()]  # not `latest`
    assert folders == [run]  # the chief's folder only
    mine, theirs = _weights(run / "checkpoints" / "last.keras"), _weights(single / "checkpoints" / "last.keras")
    assert len(mine) == len(theirs) == 4
    for (name, value), (_, alone) in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(value, alone, rtol=0, atol=ATOL, err_msg=name)
        assert np.abs(value).max() > 0.01, name
    assert _metrics(run) == _metrics(single)
    assert (run / "history.csv").read_text().splitlines()[0] == (single / "history.csv").read_text().splitlines()[0]
    assert len((run / "history.csv").read_text().splitlines()) == 3  # header, 2 epochs
    assert json.loads((run / "run.json").read_text())["status"] == "completed"
    assert _scratch() <= before, "the other workers' temporary folders are removed"


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow
def test_a_killed_worker_stops_the_run_in_one_line_and_resume_finishes_it(tmp_path, cli):
    """SIGKILL to worker 1 once the chief saved 2 of 4 epochs: the launcher ends (exit 1) within
    its grace period with one line naming the worker and the resume command; `--resume RUN
    --local-workers 2` ends with one device's metrics."""
    data = {**WORKERS, "train": {**WORKERS["train"], "epochs": 4}}
    one = cli("train", write_config(tmp_path, {**EVEN, "train": {**EVEN["train"], "epochs": 4}}, "one.yaml"),
              "--runs-dir", tmp_path / "one", "-q")  # fmt: skip
    assert one.exit_code == 0, one.stderr
    runs = tmp_path / "workers"
    launcher = _dlkit(write_config(tmp_path, data, "workers.yaml"), "--local-workers", 2, "--runs-dir", runs)
    deadline = time.monotonic() + 300
    while launcher.poll() is None and time.monotonic() < deadline:
        histories = list(runs.glob("*/history.csv"))
        if histories and len(histories[0].read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    assert launcher.poll() is None, "training ended before the kill"
    os.kill(_children(launcher.pid)[1], signal.SIGKILL)
    killed = time.monotonic()
    _, err = launcher.communicate(timeout=120)
    assert time.monotonic() - killed < 30, "the others stop within the launcher's grace period"
    assert launcher.returncode == 1
    line = err.strip()
    assert "\n" not in line and "worker 1 was killed by signal 9" in line and len(line) < 300, line
    (run,) = (p for p in runs.iterdir() if not p.is_symlink())
    assert f"dlkit train --resume {run} --local-workers 2" in line
    assert json.loads((run / "run.json").read_text())["status"] != "completed"

    resumed = _dlkit("--resume", run, "--local-workers", 2)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    assert _run_dir(out).resolve() == run.resolve()
    assert len((run / "history.csv").read_text().splitlines()) == 5
    assert _metrics(run) == _metrics(_run_dir(one.stdout))


def test_a_bad_cluster_is_one_line_exit_2_and_no_run_folder(tmp_path, cli):
    config = write_config(tmp_path, WORKERS)
    runs = tmp_path / "runs"
    cases = {
        ("--cluster", "127.0.0.1:1,nohost", "--task-index", "0"): "'nohost' is not host:port",
        ("--cluster", "127.0.0.1:1,127.0.0.1:99999", "--task-index", "0"): "is not host:port (port 1-65535)",
        ("--cluster", "127.0.0.1:1,127.0.0.1:2", "--task-index", "2"): "--task-index 2 is out of range",
        ("--cluster", "127.0.0.1:1,127.0.0.1:2"): "--cluster needs --task-index",
        ("--task-index", "0"): "--task-index goes with --cluster",
        ("--local-workers", "2", "--cluster", "127.0.0.1:1"): "one or the other",
        ("--local-workers", "2", "--set", "train.distribute.strategy=mirrored"): "strategy: multi_worker",
        ("--set", "train.epochs=2", "--set", "train.checkpoint_every=5"): "train.checkpoint_every is not supported",
    }
    for args, message in cases.items():
        result = cli("train", config, *args, "--runs-dir", runs)
        assert result.exit_code == 2, (args, result.stderr)
        line = result.stderr.strip()
        assert message in line and "\n" not in line and len(line) < 300 and "Traceback" not in line, (args, line)
    assert not runs.exists()


def test_a_cluster_worker_that_never_joins_is_one_line_exit_2_and_no_run_folder(tmp_path):
    """Worker 1 of --cluster never starts: worker 0 gives up after DLKIT_JOIN_TIMEOUT (5 s here)."""
    from dlkit.training.distributed.launch import free_ports

    ports = free_ports(2)
    cluster = ",".join(f"127.0.0.1:{port}" for port in ports)
    runs = tmp_path / "runs"
    started = time.monotonic()
    alone = _dlkit(write_config(tmp_path, WORKERS), "--cluster", cluster, "--task-index", 0, "--runs-dir", runs,
                   extra_env={"DLKIT_JOIN_TIMEOUT": "5"})  # fmt: skip
    _, err = alone.communicate(timeout=120)
    assert alone.returncode == 2 and time.monotonic() - started < 60
    line = err.strip()
    assert "\n" not in line and len(line) < 300, line
    assert "did not all join within 5 s" in line and f"no answer from 127.0.0.1:{ports[1]}:" in line, line
    assert not runs.exists()


def test_a_two_machine_cluster_on_loopback_trains_into_the_chiefs_folder_only(tmp_path):
    """`--cluster A,B --task-index 0` and `... 1`, as two machines would run them: the chief's
    run folder is the run; worker 1's --runs-dir is never made (its temporary folder is removed)."""
    from dlkit.training.distributed.launch import free_ports

    cluster = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    config = write_config(tmp_path, WORKERS)
    workers = [
        _dlkit(config, "--cluster", cluster, "--task-index", i, "--runs-dir", tmp_path / f"m{i}") for i in (0, 1)
    ]
    (out0, err0), (out1, err1) = (w.communicate(timeout=600) for w in workers)
    assert workers[0].returncode == 0 and workers[1].returncode == 0, (err0[-1500:], err1[-1500:])
    run = _run_dir(out0)
    assert run.parent == tmp_path / "m0" and json.loads((run / "run.json").read_text())["status"] == "completed"
    assert len((run / "history.csv").read_text().splitlines()) == 3
    assert out1.strip().splitlines()[-1] == f"worker 1: done; the chief ({cluster.split(',')[0]}) holds the run folder"
    assert not (tmp_path / "m1").exists()
