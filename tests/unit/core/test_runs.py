"""Run folders: their names (two runs started in the same second get their own), `runs/latest`, the
newest finished run, what is no usable run, incomplete folders, the status shown, and run.json
marked ended over a damaged one."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from dlkit.core.runs import create_run_dir

    with ThreadPoolExecutor(8) as pool:
        folders = list(pool.map(lambda _: create_run_dir(tmp_path, "same"), range(16)))
    assert len(set(folders)) == 16


def _finished(folder: Path, ended: str) -> Path:
    folder.mkdir(parents=True)
    info = {"status": "completed", "input": {"kind": "image"}, "ended": ended}
    (folder / "run.json").write_text(json.dumps(info))
    return folder


def test_latest_points_at_a_run_by_a_relative_link_replaced_whole(tmp_path):
    from dlkit.core.runs import point_latest

    first, second = (tmp_path / "a-20260101-000001", tmp_path / "a-20260101-000002")
    first.mkdir()
    second.mkdir()
    point_latest(first)
    point_latest(second)
    link = tmp_path / "latest"
    assert link.is_symlink() and os.readlink(link) == second.name and link.resolve() == second.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-20260101-000001", "a-20260101-000002", "latest"]


def test_the_newest_finished_run_is_the_one_that_ended_last_and_can_be_used(tmp_path):
    from dlkit.core.runs import newest_finished, resolve_run

    old = _finished(tmp_path / "b-20260101-000009", "2026-01-01T10:00:00+00:00")
    new = _finished(tmp_path / "a-20260101-000001", "2026-01-02T10:00:00+00:00")  # named first, ended last
    bad = _finished(tmp_path / "c-20260101-000010", "2026-01-03T10:00:00+00:00")
    (bad / "metrics.json").write_text("[")  # damaged: not to be used
    running = tmp_path / "d-20260101-000011"
    running.mkdir()
    (running / "run.json").write_text(json.dumps({"status": "running"}))
    assert newest_finished(tmp_path) == new and resolve_run(None, tmp_path) == new
    assert newest_finished(tmp_path, lambda path: path.name.startswith("b")) == old
    assert newest_finished(tmp_path / "nowhere") is None


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda root: root / "nope", "no such run folder"),
        (lambda root: root, "not a dlkit run folder (no run.json)"),
        (lambda root: (root / "x-20260101-000001" / "checkpoints").mkdir(parents=True) or root / "x-20260101-000001",
         "an incomplete run folder (its training was stopped before it wrote run.json"),
    ],
)  # fmt: skip
def test_what_is_no_usable_run_is_one_line(tmp_path, make, said):
    from dlkit.core.errors import UsageError
    from dlkit.core.runs import resolve_run

    with pytest.raises(UsageError, match=re.escape(said)):
        resolve_run(make(tmp_path))
    with pytest.raises(UsageError, match=re.escape(f"no finished run under {tmp_path / 'empty'}/")):
        resolve_run(None, tmp_path / "empty")


def test_incomplete_means_only_what_dlkit_makes_first(tmp_path):
    from dlkit.core.runs import incomplete

    stopped = tmp_path / "tiny-20260101-120000"
    (stopped / "checkpoints").mkdir(parents=True)
    (stopped / "plots").mkdir()
    (stopped / "config.yaml").write_text("name: tiny\n")
    (stopped / ".run.json.abc.tmp").write_text("")  # a scratch file a kill left
    assert incomplete(stopped)
    (stopped / "checkpoints" / "last.keras").write_text("")  # a checkpoint: resumable, not incomplete
    assert not incomplete(stopped)
    mine = tmp_path / "holiday-photos"
    mine.mkdir()
    assert not incomplete(mine)  # not named as dlkit names runs: never the user's folder
    (tmp_path / "tiny-20260101-120001").mkdir()
    (tmp_path / "tiny-20260101-120001" / "notes.txt").write_text("")
    assert not incomplete(tmp_path / "tiny-20260101-120001")


def test_a_running_run_whose_process_is_gone_shows_as_interrupted():
    import platform
    import subprocess
    import sys

    from dlkit.core.runs import pid_alive, run_status

    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)  # fmt: skip
    here = platform.node()
    assert run_status({"status": "running", "host": here, "pid": gone}) == "interrupted"
    assert run_status({"status": "running", "host": here, "pid": os.getpid()}) == "running"
    assert run_status({"status": "running", "host": "another-machine", "pid": gone}) == "running"
    assert run_status({"status": "failed"}) == "failed" and run_status({}) == "?"
    assert pid_alive(os.getpid()) and not pid_alive(gone) and not pid_alive(None) and not pid_alive(0)


def test_end_run_marks_the_status_over_a_damaged_run_json(tmp_path):
    from dlkit.core.runs import end_run, read_run

    (tmp_path / "run.json").write_text('{"status": "running", "epo')
    end_run(tmp_path, "failed", error="loss became NaN")
    info = read_run(tmp_path)
    assert info["status"] == "failed" and info["error"] == "loss became NaN" and info["ended"]
    assert (tmp_path / "run.json").read_bytes().endswith(b" " * 1024)  # room kept to mark it on a full disk
