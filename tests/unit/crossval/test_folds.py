"""The cv folder's bookkeeping, on folders written here: fold names, each fold's config, and the
claims that keep parallel workers off each other's folds (finished, running and claimed folds are
passed over; a claim of a process that is gone is taken over)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import TINY
from dlkit.config.loader import parse_config
from dlkit.crossval.folds import CLAIMS, claim_next, fold_config, fold_name, fold_names, release


def _gone_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_fold_names_repeat_by_repeat():
    assert fold_name(2, 1) == "fold-2" and fold_name(2, 3) == "r3-fold-2"
    assert fold_names(2, 2) == [("fold-1", 1, 1), ("fold-2", 2, 1), ("r2-fold-1", 1, 2), ("r2-fold-2", 2, 2)]


def test_each_fold_trains_a_copy_of_the_config_with_its_fold():
    config = parse_config(TINY)
    third = fold_config(config, 5, 3, 2)
    split = third.data.split
    assert (split.folds, split.fold, split.repeat) == (5, 3, 2)
    assert config.data.split.folds is None and third.data.split is not config.data.split


def test_workers_claim_the_folds_nobody_has(tmp_path):
    names = fold_names(4, 1)
    finished = tmp_path / "fold-1"
    finished.mkdir()
    (finished / "run.json").write_text(json.dumps({"status": "completed", "input": {"kind": "image"}}))
    (finished / "metrics.json").write_text("{}")
    running = tmp_path / "fold-2"
    running.mkdir()
    (running / "run.json").write_text(json.dumps({"status": "running", "host": "another-machine", "pid": 1}))
    (tmp_path / CLAIMS).mkdir()
    (tmp_path / CLAIMS / "fold-3").write_text(str(os.getppid()))  # a live process of this machine
    assert claim_next(tmp_path, names) == ("fold-4", 4, 1)
    assert (tmp_path / CLAIMS / "fold-4").read_text() == str(os.getpid())
    assert claim_next(tmp_path, names) == ("fold-4", 4, 1)  # this process's own claim is no one else's
    (tmp_path / CLAIMS / "fold-4").write_text(str(os.getppid()))
    assert claim_next(tmp_path, names) is None
    (tmp_path / CLAIMS / "fold-3").write_text(str(_gone_pid()))  # its process has ended: free again
    assert claim_next(tmp_path, names) == ("fold-3", 3, 1)
    release(tmp_path, "fold-3")
    release(tmp_path, "fold-3")  # twice: nothing to remove, no error
    assert not (tmp_path / CLAIMS / "fold-3").exists()
