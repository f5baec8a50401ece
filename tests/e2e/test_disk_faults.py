"""Faults on disk, symbolic links in run folders and kills at random moments: a full disk is one
line and leaves the run resumable to the same result; nothing is written through a link; every
folder a kill leaves is listed and resumed (or refused in one line)."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import pytest

from conftest import REPO, TINY, as_interrupted, last_state, write_config
from dlkit.core.writing import SCRATCH
from dlkit.training import state as saved_state

#: Three epochs: checkpoints to kill between.
THREE = {**TINY, "train": {**TINY["train"], "epochs": 3}}


def _run_dir(result) -> Path:
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("dlkit: error:")]


def _one_line(result, code: int) -> str:
    """The one error line of a command that failed with `code`, handled (no traceback: an error
    that escaped would be the runner's `exception` rather than its exit)."""
    assert result.exit_code == code and isinstance(result.exception, SystemExit), result.stderr
    assert "Traceback" not in result.stderr
    (line,) = _errors(result.stderr)
    return line


def _scratch(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if SCRATCH.match(p.name)]


class SmallDisk:
    """A 16 MiB tmpfs for one test. As root it is mounted on a folder of the test's; otherwise in a
    user and mount namespace of its own (`unshare -rm`), kept by a sleeping process and reached
    through its /proc/PID/root. Neither possible: the test fails, saying why (it never skips)."""

    SIZE = "16m"

    def __init__(self, folder: Path):
        folder.mkdir()
        self.folder, self.keeper = folder, None
        mount = ["mount", "-t", "tmpfs", "-o", f"size={self.SIZE}", "tmpfs", str(folder)]
        if os.geteuid() == 0:
            done = subprocess.run(mount, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.fail(f"cannot mount a tmpfs as root: {done.stderr.strip()}")
            self.path = folder
            return
        script = 'mount -t tmpfs -o size="$1" tmpfs "$2" && echo mounted && exec sleep 3600'
        argv = ["unshare", "-rm", "sh", "-c", script, "sh", self.SIZE, str(folder)]
        try:
            self.keeper = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            pytest.fail(f"not root, and no unshare to mount a tmpfs in a namespace of its own: {e}")
        if self.keeper.stdout.readline().strip() != "mounted":
            pytest.fail(f"not root, and unshare -rm cannot mount a tmpfs: {self.keeper.stderr.read().strip()}")
        self.path = Path(f"/proc/{self.keeper.pid}/root{folder}")

    def fill(self) -> Path:
        """Write a ballast file until the disk is full (nothing is left for a new page)."""
        ballast = self.path / "ballast"
        fd = os.open(ballast, os.O_WRONLY | os.O_CREAT)
        try:
            for chunk in (1 << 20, 4096):
                while True:
                    try:
                        os.write(fd, b"\0" * chunk)
                    except OSError as e:
                        assert e.errno == errno.ENOSPC, e
                        break
        finally:
            os.close(fd)
        return ballast

    def close(self) -> None:
        if self.keeper is not None:
            self.keeper.kill()
            self.keeper.wait()
        else:
            subprocess.run(["umount", "-l", str(self.folder)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    disk = SmallDisk(tmp_path / "disk")
    yield disk
    disk.close()


def test_a_full_disk_fails_in_one_line_and_the_run_resumes_to_the_same_result(tmp_path, cli, small_disk, trained_run):
    config = write_config(tmp_path, TINY)
    alone = trained_run[0]  # the same config, left alone

    runs = small_disk.path / "runs"
    filled = []

    def fill_after_the_first_checkpoint():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not ((state := last_state(runs)) and state["epochs_done"] >= 1):
            time.sleep(0.01)
        filled.append(small_disk.fill())

    filler = threading.Thread(target=fill_after_the_first_checkpoint, daemon=True)
    filler.start()
    failed = cli("train", config, "--runs-dir", runs, "-q")
    filler.join(timeout=60)
    assert filled, "the disk was never filled"
    run_dir = next(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink())
    line = _one_line(failed, 1)
    assert re.fullmatch(
        rf"dlkit: error: {re.escape(str(run_dir))}/\S+: No space left on device; the run can go on from its last "
        rf"checkpoint: dlkit train --resume {re.escape(str(run_dir))}",
        line,
    ), line
    print(line)
    info = json.loads((run_dir / "run.json").read_text())  # written over its own bytes: no space was left
    assert info["status"] == "failed" and "No space left on device" in info["error"] and info["ended"]
    last = run_dir / "checkpoints" / "last.keras"
    assert saved_state.read(last)["epochs_done"] >= 1  # 2: the disk filled as it finished (resumed: finished)
    keras.saving.load_model(last, safe_mode=True, compile=False)  # whole
    assert _scratch(run_dir) == []  # each failed write took its scratch file away
    assert "failed" in cli("runs", runs).stdout

    os.remove(filled[0])
    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir
    assert (run_dir / "metrics.json").read_bytes() == (alone / "metrics.json").read_bytes()
    assert (run_dir / "history.csv").read_bytes() == (alone / "history.csv").read_bytes()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "completed"


def test_eval_predict_output_and_a_new_run_on_a_full_disk_fail_in_one_line(tmp_path, cli, trained_run, small_disk):
    from helpers.eval_predict import _digit_pngs

    run_dir = shutil.copytree(trained_run[0], small_disk.path / "run")
    pictures = _digit_pngs(tmp_path / "pictures", count=2)
    small_disk.fill()
    evaluated = cli("eval", run_dir)
    assert _one_line(evaluated, 1) == f"dlkit: error: {run_dir}/eval/metrics.json: No space left on device"
    output = small_disk.path / "predictions.csv"
    predicted = cli("predict", *pictures, "--run", run_dir, "--output", output)
    assert _one_line(predicted, 1) == f"dlkit: error: {output}: No space left on device"
    assert not output.exists() and _scratch(small_disk.path) == []
    runs = small_disk.path / "runs"
    started = cli("train", write_config(tmp_path, TINY), "--runs-dir", runs, "-q")
    line = _one_line(started, 1)
    assert re.fullmatch(rf"dlkit: error: {re.escape(str(runs))}/tiny-[\d-]+/\S+: No space left on device", line), line
    assert list(runs.iterdir()) == []  # its folder, which never had a run.json, is gone


def _unfinished_copy(trained_run, folder: Path) -> Path:
    """The session's finished 2-epoch run, copied and made to look stopped after 2 of 3 epochs."""
    return as_interrupted(shutil.copytree(trained_run[0], folder / trained_run[0].name))


def test_resume_removes_the_scratch_files_a_stopped_run_left(tmp_path, cli, trained_run):
    run_dir = _unfinished_copy(trained_run, tmp_path)
    left = [
        "checkpoints/.last.keras.4242.tmp.keras",  # a checkpoint being saved
        ".run.json.k2j4h5g6.tmp",  # atomic_write's
        ".history.csv.a1b2c3d4.tmp",
        "plots/.learning_curves.png.x9y8z7w6.tmp",
        ".model.4242.tmp.keras",  # save_model's
    ]
    for name in left:
        (run_dir / name).write_bytes(b"half")
    (run_dir / "export" / ".saved_model.tmp-4242").mkdir(parents=True)  # an export being written
    (run_dir / "notes.tmp").write_text("the user's")
    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir
    assert "removed 6 unfinished temporary file(s)" in resumed.stderr
    assert _scratch(run_dir) == [] and (run_dir / "notes.tmp").read_text() == "the user's"


def test_a_folder_stopped_before_its_run_json_is_incomplete(tmp_path, cli):
    runs = tmp_path / "runs"
    stopped = runs / "tiny-20240101-120000"  # as open_run leaves it before run.json
    for folder in ("checkpoints", "plots"):
        (stopped / folder).mkdir(parents=True)
    (stopped / "config.yaml").write_text("name: tiny\n")
    (stopped / ".run.json.a1b2c3d4.tmp").write_text("{")
    empty = runs / "tiny-20240101-120001"  # stopped right after mkdir
    empty.mkdir()
    mine = runs / "notes-20240101-120002"  # a user's folder: not what dlkit makes
    (mine / "plots").mkdir(parents=True)
    (mine / "plots" / "mine.png").write_bytes(b"png")

    listed = cli("runs", runs)
    assert listed.exit_code == 0 and "Traceback" not in listed.stderr
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if "tiny-" in line or "notes-" in line}
    assert "incomplete" in rows[stopped.name] and "incomplete" in rows[empty.name] and mine.name not in rows

    line = _one_line(cli("train", "--resume", stopped, "-q"), 2)
    assert f"{stopped}: an incomplete run folder" in line and f"rm -r {stopped}" in line and "dlkit train" in line

    old = time.time() - 3600
    os.utime(stopped, (old, old))
    os.utime(empty, (old, old))
    fresh = runs / "tiny-20240101-120003"  # a run starting right now: left alone
    fresh.mkdir()
    one_epoch = write_config(tmp_path, {**TINY, "train": {**TINY["train"], "epochs": 1}})
    trained = cli("train", one_epoch, "--runs-dir", runs, "-q")
    assert _run_dir(trained).parent == runs
    assert f"removed {stopped}: an incomplete run folder" in trained.stderr
    assert not stopped.exists() and not empty.exists() and fresh.is_dir() and (mine / "plots" / "mine.png").is_file()


def _elsewhere(tmp_path: Path, run_dir: Path, name: str) -> Path:
    """`run_dir/name` made a symbolic link to an empty folder outside the run."""
    target = tmp_path / f"elsewhere-{name}"
    target.mkdir()
    if (run_dir / name).exists():
        shutil.rmtree(run_dir / name)
    (run_dir / name).symlink_to(target, target_is_directory=True)
    return target


def _refused_link(result, link: Path) -> None:
    line = _one_line(result, 1)
    assert line.startswith(f"dlkit: error: {link}: a symbolic link (to ") and "remove the link" in line


def test_nothing_is_written_through_a_link_in_a_run_folder(tmp_path, cli, trained_run):
    run_dir = shutil.copytree(trained_run[0], tmp_path / "runs" / trained_run[0].name)
    evals = _elsewhere(tmp_path, run_dir, "eval")
    _refused_link(cli("eval", run_dir), run_dir / "eval")
    _refused_link(cli("attack", run_dir, "--method", "fgsm", "--eps", "0.1", "-n", "8"), run_dir / "eval")
    exports = _elsewhere(tmp_path, run_dir, "export")
    _refused_link(cli("export", run_dir, "--format", "saved_model"), run_dir / "export")
    assert list(evals.iterdir()) == [] and list(exports.iterdir()) == []

    # runs/latest is dlkit's own link to a run folder: it still works, writing in the real folder
    (run_dir.parent / "latest").symlink_to(run_dir.name, target_is_directory=True)
    (run_dir / "eval").unlink()
    assert cli("eval", run_dir.parent / "latest").exit_code == 0
    assert (run_dir / "eval" / "metrics.json").is_file() and not (run_dir / "eval").is_symlink()


def test_resume_refuses_a_link_before_it_trains(tmp_path, cli, trained_run):
    run_dir = _unfinished_copy(trained_run, tmp_path / "runs")
    before = (run_dir / "checkpoints" / "last.keras").read_bytes()
    plots = _elsewhere(tmp_path, run_dir, "plots")
    _refused_link(cli("train", "--resume", run_dir, "-q"), run_dir / "plots")
    assert list(plots.iterdir()) == [] and (run_dir / "checkpoints" / "last.keras").read_bytes() == before
    (run_dir / "plots").unlink()
    (run_dir / "plots").mkdir()
    outside = tmp_path / "outside-metrics.json"
    outside.write_text("{}")
    (run_dir / "metrics.json").unlink()
    (run_dir / "metrics.json").symlink_to(outside)
    _refused_link(cli("train", "--resume", run_dir, "-q"), run_dir / "metrics.json")
    assert outside.read_text() == "{}"


def _progress(runs: Path) -> int:
    """How far the run under `runs` has come: batches trained by its last checkpoint (-1: none
    yet), or 10**6 once it is finishing (its model.keras written)."""
    if next(runs.glob("*/model.keras"), None) is not None:
        return 10**6
    state = last_state(runs)
    return -1 if state is None else state["epochs_done"] * STEPS + (state.get("step") or 0)


def _kill_at(argv: list[str], runs: Path, when, jitter: float) -> str:
    """Start `argv`, and SIGKILL it `jitter` seconds after `when(runs)` first holds (or once it
    ended: then the kill finds nothing to stop). Returns what happened, for the test's report."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and not (runs.is_dir() and when(runs)) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(jitter)
    ended = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return "after it had ended" if ended else f"{jitter:.2f} s after its moment"


#: Batches per epoch of the kill test's run (1,293 training examples in batches of 64).
STEPS = 21


@pytest.mark.slow
def test_kills_at_random_moments_leave_runs_that_resume_to_the_same_result(tmp_path, cli):
    """`dlkit train` killed (SIGKILL), three at once, at seeded random moments: as its folder
    appears, at a random batch of its training (its checkpoints mid-epoch and at each epoch's
    end), while it finishes. `dlkit runs` lists whatever each left, and `--resume` ends each as
    a run left alone ends (a folder killed before its run.json is refused in one line)."""
    data = {**THREE, "train": {**THREE["train"], "checkpoint_every": 7}}  # mid-epoch checkpoints too
    config = write_config(tmp_path, data)
    rng = random.Random(26)
    batch = rng.randrange(1, 3 * STEPS)
    moments = {
        "as its folder appears": (lambda runs: any(runs.iterdir()), rng.uniform(0, 0.05)),
        f"after batch {batch} of {3 * STEPS}": (lambda runs: _progress(runs) >= batch, rng.uniform(0, 1)),
        "while it finishes": (lambda runs: _progress(runs) == 10**6, rng.uniform(0, 1)),
    }
    argv = [sys.executable, "-m", "dlkit", "train", str(config), "-q", "--runs-dir"]
    killed: dict[str, str] = {}

    def kill(i: int, moment: str) -> None:
        when, jitter = moments[moment]
        killed[moment] = _kill_at([*argv, str(tmp_path / f"k{i}")], tmp_path / f"k{i}", when, jitter)

    threads = [threading.Thread(target=kill, args=(i, moment)) for i, moment in enumerate(moments)]
    for thread in threads:
        thread.start()
    alone = _run_dir(cli("train", config, "--runs-dir", tmp_path / "alone", "-q"))  # meanwhile
    for thread in threads:
        thread.join()

    outcomes = []
    for i, moment in enumerate(moments):
        runs = tmp_path / f"k{i}"
        listed = cli("runs", runs)
        assert listed.exit_code == 0 and "Traceback" not in listed.stderr, listed.stderr
        folders = [p for p in runs.iterdir() if p.is_dir() and not p.is_symlink()] if runs.is_dir() else []
        if not folders:
            outcomes.append(f"killed {moment}, {killed[moment]}: no folder yet")
            continue
        (run_dir,) = folders
        if not (run_dir / "run.json").is_file():
            assert "incomplete" in listed.stdout
            assert "an incomplete run folder" in _one_line(cli("train", "--resume", run_dir, "-q"), 2)
            outcomes.append(f"killed {moment}, {killed[moment]}: incomplete, refused in one line")
            continue
        status = json.loads((run_dir / "run.json").read_text())["status"]
        if status != "completed":
            resumed = cli("train", "--resume", run_dir, "-q")
            assert _run_dir(resumed) == run_dir
        assert (run_dir / "metrics.json").read_bytes() == (alone / "metrics.json").read_bytes()
        assert (run_dir / "history.csv").read_bytes() == (alone / "history.csv").read_bytes()
        assert _scratch(run_dir) == []
        outcomes.append(f"killed {moment}, {killed[moment]}: {status}, resumed to the same metrics")
    print("\n".join(outcomes))
