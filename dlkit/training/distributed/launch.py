"""The cluster of a `train.distribute: {strategy: multi_worker}` run: `--cluster`/`--task-index`
made into `TF_CONFIG`, and `--local-workers N`, which starts N worker processes on 127.0.0.1 and
watches them. Worker 0 is the chief: it trains in the run folder; the others train in temporary
folders, removed at the end. Does not import TensorFlow."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlkit.core.errors import DlkitError, UsageError
from dlkit.core.runs import read_json

#: `host:port`, the host a name, IPv4 address or bracketed IPv6 address.
ADDRESS = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$")

#: Seconds the other workers get to stop by themselves once one has failed, before they are killed.
GRACE = float(os.environ.get("DLKIT_WORKER_GRACE", "10"))


#: Seconds every worker of a `--cluster` has to start and join before this one gives up.
JOIN_TIMEOUT = float(os.environ.get("DLKIT_JOIN_TIMEOUT", "300"))


class WorkerFailed(DlkitError):
    """A worker of a `--local-workers` run stopped; the others were stopped too."""


def cluster_config(cluster: str, task_index: int | None) -> str:
    """`TF_CONFIG` for worker `task_index` of the `host:port,...` list, or a one-line UsageError."""
    addresses = [a.strip() for a in cluster.split(",")]
    bad = [a for a in addresses if not ADDRESS.match(a) or not 0 < int(a.rsplit(":", 1)[1]) < 65536]
    if bad:
        shown = ", ".join(repr(a) for a in bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise UsageError(f"--cluster: {shown} is not host:port (port 1-65535); write host1:port,host2:port,...")
    if len(set(addresses)) < len(addresses):
        raise UsageError("--cluster: an address is given twice; one host:port per worker")
    if task_index is None:
        raise UsageError("--cluster needs --task-index I: this machine's place in the list, from 0 (the chief)")
    if not 0 <= task_index < len(addresses):
        raise UsageError(f"--task-index {task_index} is out of range: --cluster lists {len(addresses)} workers (0 to "
                         f"{len(addresses) - 1})")  # fmt: skip
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": task_index}})


def is_chief(tf_config: str) -> bool:
    """Whether `TF_CONFIG` makes this process the chief (the `chief` task, or worker 0 without one)."""
    try:
        config = json.loads(tf_config)
        task, cluster = config.get("task", {}), config["cluster"]
    except (ValueError, KeyError, AttributeError):
        raise UsageError("TF_CONFIG is not JSON with a cluster and a task (docs/distributed.md)") from None
    if task.get("type") == "chief":
        return True
    return "chief" not in cluster and task.get("type") == "worker" and int(task.get("index", 0)) == 0


def free_ports(count: int) -> list[int]:
    """`count` ports free on 127.0.0.1 now (held open together, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_local_workers(count: int, chief_args: list[str], run_args, resume: Path | None, runs_dir: Path) -> str:
    """Start `count` workers (`python -m dlkit train`) on 127.0.0.1 and wait for them; returns what
    the chief printed. `chief_args` are the chief's arguments; `run_args(folder)` the others',
    training in `folder`. Resuming, each other worker resumes its own copy of the chief's folder.
    A worker that fails stops the others (after `GRACE` seconds) and raises WorkerFailed."""
    ports = free_ports(count)
    cluster = [f"127.0.0.1:{port}" for port in ports]
    scratch = Path(tempfile.mkdtemp(prefix="dlkit-workers-"))
    workers: list[subprocess.Popen] = []
    logs = [scratch / f"worker-{i}.log" for i in range(count)]
    try:
        for index in range(count):
            if index == 0:
                args = chief_args
            elif resume is not None:
                copy = scratch / f"worker-{index}" / resume.name
                shutil.copytree(resume, copy)
                args = ["--resume", str(copy)]
            else:
                args = run_args(scratch / f"worker-{index}")
            env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": {"worker": cluster},
                                                           "task": {"type": "worker", "index": index}})}  # fmt: skip
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            with open(logs[index], "w") as log, open(scratch / "chief.out", "a") as out:
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "dlkit", "train", *args, "-q"], env=env,
                    stdout=out if index == 0 else subprocess.DEVNULL, stderr=log,
                ))  # fmt: skip
        try:
            _watch(workers, logs)
            chief_out = (scratch / "chief.out").read_text()
        except WorkerFailed as e:
            run = resume or _run_of(runs_dir, workers[0].pid)
            again = f"; go on with: dlkit train --resume {run} --local-workers {count}" if run else ""
            raise WorkerFailed(f"{e}{again}") from None
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    return chief_out


def _watch(workers: list[subprocess.Popen], logs: list[Path]) -> None:
    """Wait for every worker; on the first failure give the others `GRACE` seconds, stop them and
    raise WorkerFailed naming it."""
    failed = None
    while failed is None and any(w.poll() is None for w in workers):
        time.sleep(0.1)
        failed = next((i for i, w in enumerate(workers) if w.poll() not in (None, 0)), None)
    failed = next((i for i, w in enumerate(workers) if w.returncode not in (None, 0)), None)
    if failed is None:
        return
    deadline = time.monotonic() + GRACE
    while any(w.poll() is None for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
    code = workers[failed].returncode
    how = f"was killed by signal {-code}" if code < 0 else f"failed (exit {code})"
    said = _last_error(logs[failed])
    raise WorkerFailed(f"worker {failed} {how}{': ' + said if said else ''}; the other workers were stopped")


def _last_error(log: Path) -> str:
    """The worker's own one-line error, if it wrote one."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("dlkit: error: ")]
    return lines[-1].removeprefix("dlkit: error: ")[:200] if lines else ""


def _run_of(runs_dir: Path, pid: int) -> Path | None:
    """The run folder under `runs_dir` the process `pid` trained in."""
    for info in sorted(Path(runs_dir).glob("*/run.json")):
        if read_json(info).get("pid") == pid:
            return info.parent
    return None


def run_cluster_worker(args, tf_config: str, chief: bool, cluster: list[str]) -> int:
    """Train this machine's worker of `--cluster` in a process of its own (`args(runs_dir)` its
    arguments; a worker other than the chief trains in a temporary folder, removed at the end) and
    return its exit code. TensorFlow waits for every worker of the cluster without a time limit
    (no exception reaches that wait): a worker that has not joined within `JOIN_TIMEOUT` seconds is
    stopped here, with one line naming the addresses that do not answer."""
    scratch = Path(tempfile.mkdtemp(prefix="dlkit-worker-"))
    joined = scratch / "joined"
    env = {**os.environ, "TF_CONFIG": tf_config, "DLKIT_JOINED": str(joined)}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = None if chief else subprocess.DEVNULL
    worker = subprocess.Popen([sys.executable, "-m", "dlkit", "train", *args(scratch / "runs")], env=env, stdout=out)
    try:
        deadline = time.monotonic() + JOIN_TIMEOUT
        while worker.poll() is None and not joined.exists():
            if time.monotonic() > deadline:
                # This machine's own worker may still be starting (a loaded machine): name the others.
                own = cluster[json.loads(tf_config)["task"]["index"]]
                others = [a for a in cluster if a != own] or cluster
                silent = [a for a in others if not _answers(a)] or others
                shown = ", ".join(silent[:3]) + (f" and {len(silent) - 3} more" if len(silent) > 3 else "")
                raise UsageError(
                    f"--cluster: the workers did not all join within {JOIN_TIMEOUT:g} s (DLKIT_JOIN_TIMEOUT); no "
                    f"answer from {shown}: start dlkit train on each, and check the hosts, ports and firewall"
                )
            time.sleep(0.2)
        return worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def _answers(address: str) -> bool:
    """Whether something listens at `host:port`."""
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=2):
            return True
    except OSError:
        return False
