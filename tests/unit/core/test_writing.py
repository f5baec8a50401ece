"""Writing files as a run folder needs: whole or not at all, never through a symbolic link inside the
run, a disk's failure as one WriteError naming the file, and scratch files named so that resume can
tell them and remove them."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from dlkit.core.errors import WriteError
from dlkit.core.writing import SCRATCH, atomic_write, inside, overwrite_in_place, remove_scratch, scratch, writing


def test_atomic_write_replaces_the_file_whole_with_the_usual_permissions(tmp_path):
    path = tmp_path / "run.json"
    path.write_text("old")
    atomic_write(path, '{"status": "completed"}')
    assert path.read_text() == '{"status": "completed"}'
    atomic_write(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # no scratch file left


def test_a_failed_write_names_the_file_keeps_the_old_one_and_leaves_no_scratch(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    path.write_text("kept")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError) as refused:
        atomic_write(path, "new")
    assert str(refused.value) == f"{path}: No space left on device"
    assert path.read_text() == "kept" and sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_writing_turns_only_os_errors_into_write_errors_and_removes_the_scratch(tmp_path):
    target, spare = tmp_path / "model.keras", scratch(tmp_path / "model.keras", ".keras")
    assert SCRATCH.match(spare.name)
    spare.write_text("half")
    with pytest.raises(WriteError, match=r"model\.keras: Read-only file system$"):
        with writing(target, scratch=spare):
            raise OSError(errno.EROFS, "Read-only file system")
    assert not spare.exists()
    spare.mkdir()  # a scratch folder (a SavedModel being written) goes too
    with pytest.raises(KeyError):
        with writing(target, scratch=spare):
            raise KeyError("not the disk's")
    assert not spare.exists()


def test_nothing_is_written_through_a_link_inside_the_run(tmp_path):
    run, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    run.mkdir()
    elsewhere.mkdir()
    (run / "eval").symlink_to(elsewhere)
    with pytest.raises(WriteError, match=r"run/eval: a symbolic link \(to .*elsewhere\) inside the run folder"):
        inside(run, "eval", "metrics.json")
    made = inside(run, "plots", "curves", folder=True)
    assert made == run / "plots" / "curves" and made.is_dir()
    assert inside(run, "metrics.json") == run / "metrics.json"


def test_overwrite_in_place_pads_to_the_size_and_refuses_what_does_not_fit(tmp_path):
    path = tmp_path / "run.json"
    path.write_bytes(b'{"status": "running"}' + b" " * 20)
    overwrite_in_place(path, b'{"status": "failed"}')
    assert path.read_bytes() == b'{"status": "failed"}'.ljust(41, b" ")
    with pytest.raises(ValueError, match="do not fit in its 41"):
        overwrite_in_place(path, b"x" * 42)
    assert path.read_bytes().startswith(b'{"status": "failed"}')


def test_remove_scratch_removes_only_dlkits_scratch_files(tmp_path):
    names = [".run.json.abc123.tmp", ".model.keras.42.tmp.keras", ".export.tmp-42", ".saved.old-7"]
    kept = ["run.json", ".hidden", "notes.tmp", ".run.json.tmp.txt"]
    (tmp_path / "checkpoints").mkdir()
    for name in names[:2] + kept:
        (tmp_path / name).write_text("")
    for name in names[2:]:
        (tmp_path / "checkpoints" / name).mkdir()
        (tmp_path / "checkpoints" / name / "inner.pb").write_text("")
    removed = remove_scratch(tmp_path)
    assert sorted(p.name for p in removed) == sorted(names)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, "checkpoints"])
    assert not any((tmp_path / "checkpoints").iterdir())
