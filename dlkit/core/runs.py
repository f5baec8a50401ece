"""Run folders: `runs/<name>-<YYYYmmdd-HHMMSS>[-N]/`, `runs/latest`, `run.json` (its status marked on a
full disk too), incomplete folders (stopped before their run.json). Writing itself: `dlkit.core.writing`."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import os
import platform
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from dlkit.core.backend import LEGACY_BACKEND, backend_versions, choose_backend, chosen_backend, has_tensorflow
from dlkit.core.errors import DlkitError, UsageError
from dlkit.core.run_record import BadRunFile, load_json, read_metrics_file, read_run_file
from dlkit.core.version import __version__
from dlkit.core.writing import SCRATCH, atomic_write, inside, overwrite_in_place, writing

RUN_FILE = "run.json"
MODEL = "model.keras"
HISTORY = "history.csv"
METRICS = "metrics.json"
LATEST = "latest"
#: Spaces after run.json's object: room for `end_run` to mark it ended in its own bytes.
RESERVE = 1024
#: A run folder's name: `<name>-<YYYYmmdd-HHMMSS>[-N]`.
STAMPED = re.compile(r".+-\d{8}-\d{6}(-\d+)?")
#: What a run folder holds before its first run.json (`open_run` makes them, then writes it).
FIRST = ("checkpoints", "plots", "plugins", "config.yaml")


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


@contextlib.contextmanager
def folder_lock(folder: Path):
    """Hold `folder/.lock`: one process on this machine at a time claims work (a trial, a fold) there."""
    import fcntl

    with open(Path(folder) / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def create_run_dir(runs_dir: Path, name: str) -> Path:
    """A new, empty run folder; `mkdir` is atomic, so two runs started together never share one."""
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    for n in range(1, 1000):
        path = runs_dir / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run folder under {runs_dir}")


def point_latest(run_dir: Path) -> None:
    """Make `runs/latest` a relative symlink to `run_dir`, replaced atomically."""
    link = run_dir.parent / LATEST
    tmp = run_dir.parent / f".{LATEST}.{os.getpid()}"
    with writing(link, scratch=tmp):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(tmp, link)


def environment() -> dict[str, str]:
    """The versions a run records (TensorFlow's where it is installed)."""
    import keras

    tensorflow = {"tensorflow": importlib.import_module("tensorflow").__version__} if has_tensorflow() else {}
    return {
        "dlkit": __version__,
        **tensorflow,
        "keras": keras.__version__,
        **backend_versions(keras.config.backend()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_backend(run_dir: Path) -> str:
    """The backend the run trained on (run.json's `backend`; runs older than it trained on TensorFlow)."""
    return read_run(run_dir).get("backend") or LEGACY_BACKEND


def use_run_backend(run_dir: Path) -> str:
    """Choose the backend the run trained on for this process, unless it chose one already (a
    `--backend`, or another run's): a `.keras` file loads on any backend. Refused in one line
    where the run's backend is not installed."""
    return chosen_backend() or choose_backend(run_backend(run_dir), f"{Path(run_dir) / RUN_FILE}: backend")


def read_json(path: Path) -> dict:
    """A JSON file holding an object; {} when it is missing, unreadable, too large or too deep
    (`run_record.load_json`'s bounds) or not an object."""
    try:
        data = load_json(Path(path))
    except (BadRunFile, FileNotFoundError):
        return {}
    return data if isinstance(data, dict) else {}


def read_run(run_dir: Path) -> dict:
    """The run's `run.json`, its fields checked (`run_record.RunRecord`); {} before it is written.
    A file dlkit cannot use is a one-line BadRunFile naming it."""
    return read_run_file(Path(run_dir) / RUN_FILE)


def read_metrics(run_dir: Path) -> dict:
    """The run's `metrics.json`, checked like `read_run`; {} when the run did not finish."""
    return read_metrics_file(Path(run_dir) / METRICS)


def run_problem(run_dir: Path) -> BadRunFile | None:
    """What makes the run folder unusable (its run.json or metrics.json), or None."""
    try:
        read_run(run_dir)
        read_metrics(run_dir)
    except BadRunFile as e:
        return e
    return None


def completed(run_dir: Path) -> bool:
    """Whether the run completed, its files such that dlkit can use them (`run_problem`)."""
    return run_problem(run_dir) is None and read_run(run_dir).get("status") == "completed"


def newest_finished(runs_dir: Path, accept=lambda path: True) -> Path | None:
    """The completed run under `runs_dir` (of those `accept` takes) that ended last."""
    finished = [path for path in list_runs(runs_dir) if accept(path) and completed(path)]
    return max(finished, key=lambda path: read_run(path).get("ended") or "") if finished else None


def newest_matching(runs_dir: Path, stem: str, file: str, key: str, value) -> Path | None:
    """The newest folder `runs_dir/<stem>-<stamp>` whose `file` holds `value` under `key` (the
    study or cv folder of the same search, which running the command again continues)."""
    if not Path(runs_dir).is_dir():
        return None
    found = sorted(Path(runs_dir).glob(f"{stem}-*/{file}"), reverse=True)
    return next((f.parent for f in found if read_json(f).get(key) == value), None)


def update_run(run_dir: Path, **fields: Any) -> dict:
    info = read_run(run_dir) | fields
    _write_run(run_dir, info)
    return info


def _write_run(run_dir: Path, info: dict) -> None:
    atomic_write(inside(run_dir, RUN_FILE), _run_text(info, RESERVE))


def _run_text(info: dict, reserve: int = 0) -> bytes:
    """run.json's bytes; `reserve` spaces after the object (JSON ignores them) keep room in the file."""
    return (json.dumps(info, indent=2) + "\n").encode() + b" " * reserve


def end_run(run_dir: Path, status: str, **fields: Any) -> None:
    """Mark the run ended with `status` (`failed`, `interrupted`), on a full disk too; never raises.

    A full disk cannot take a new run.json, so every run.json is written with `RESERVE` spaces after
    its object: when the atomic write fails, the record (its error cut short if need be) is written
    over the file's own bytes, which needs no free space. If even that fails (a read-only disk), the
    file still says `running` with this process's pid, which `run_status` shows as `interrupted`
    once the process is gone: either way `dlkit runs` and `--resume` read the run as not completed."""
    # The lenient reader: a run.json dlkit cannot use (BadRunFile) is replaced, not a second error.
    info = read_json(Path(run_dir) / RUN_FILE) | {"status": status, "ended": now(), **fields}
    try:
        _write_run(run_dir, info)
        return
    except DlkitError:  # WriteError: no space, read-only, or run.json is a link
        pass
    path = Path(run_dir) / RUN_FILE
    shorter = [info, {**info, "error": str(info.get("error"))[:200]}, {k: v for k, v in info.items() if k != "error"}]
    with contextlib.suppress(OSError):
        size = os.lstat(path).st_size
        text = next((t for t in map(_run_text, shorter) if len(t) <= size), None)
        if text is not None:
            overwrite_in_place(path, text)


def start_run(run_dir: Path, *, command: list[str] | None, **fields: Any) -> None:
    """Mark the run `running`, recording versions, the command line, this process and `fields`."""
    mark_running(
        run_dir, started=now(), versions=environment(), command=command if command is not None else sys.argv, **fields
    )


def mark_running(run_dir: Path, **fields: Any) -> None:
    """Status `running`, owned by this process (`dlkit runs` shows it `interrupted` once it is gone)."""
    update_run(run_dir, status="running", ended=None, heartbeat=now(), host=platform.node(), pid=os.getpid(), **fields)


def run_status(info: dict) -> str:
    """The status to show: a `running` run whose process is gone from this machine (killed, power
    lost) is `interrupted`."""
    status = info.get("status", "?")
    if status == "running" and info.get("host") == platform.node() and not pid_alive(info.get("pid")):
        return "interrupted"
    return status


def pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_argument(path: Path) -> Path | None:
    """The run a command's first argument names (`dlkit predict RUN INPUT...`), or None when it is
    not a run folder. A folder holding what runs hold (a model, a history, checkpoints) but not a
    finished run is refused: its files are no inputs."""
    path = Path(path)
    held = [name for name in (RUN_FILE, MODEL, HISTORY, "checkpoints") if (path / name).exists()]
    if not path.is_dir() or not held:
        return None
    if RUN_FILE not in held:
        raise UsageError(f"{path}: a run folder's files ({', '.join(held)}) but no {RUN_FILE}; give a finished run")
    status = run_status(read_run(path))
    if status != "completed":
        raise UsageError(f"{path}: a run folder whose run is {status}, not completed; give a finished run")
    return resolve_run(path)


def resolve_run(run: str | Path | None, runs_dir: Path = Path("runs")) -> Path:
    """The run folder a command names, or the newest completed run under `runs_dir`; a run whose
    run.json or metrics.json dlkit cannot use is refused here, before any work (BadRunFile)."""
    if run is None:
        newest = newest_finished(runs_dir)
        if newest is None:
            raise UsageError(f"no finished run under {runs_dir}/; train one first or pass --run RUN")
        return newest
    path = Path(run)
    if not path.is_dir():
        raise UsageError(f"{path}: no such run folder")
    if incomplete(path):
        raise UsageError(
            f"{path}: an incomplete run folder (its training was stopped before it wrote {RUN_FILE}; it holds "
            f"no checkpoint): nothing to resume or use; remove it (rm -r {path}) and start a new run (dlkit train)"
        )
    if not (path / RUN_FILE).is_file():
        raise UsageError(f"{path}: not a dlkit run folder (no {RUN_FILE})")
    path = path.resolve() if path.name == LATEST else path
    problem = run_problem(path)
    if problem is not None:
        raise problem
    return path


def list_runs(root: Path) -> list[Path]:
    """Run folders directly under `root` (not `latest`), oldest first by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and (p / RUN_FILE).is_file())


def incomplete(path: Path) -> bool:
    """A run folder whose training was stopped before its first run.json: named as dlkit names run
    folders and holding nothing but what dlkit makes first (empty `checkpoints/` and `plots/`,
    `plugins/`, `config.yaml`) and scratch files. Never a folder of the user's own."""
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_dir() or not STAMPED.fullmatch(path.name) or (path / RUN_FILE).exists():
            return False
        for entry in path.iterdir():
            if SCRATCH.match(entry.name):
                continue
            if entry.name not in FIRST or entry.is_symlink():
                return False
            made = entry.name in FIRST[:2]  # checkpoints/ and plots/: empty but for scratch files
            if made and (not entry.is_dir() or any(not SCRATCH.match(p.name) for p in entry.iterdir())):
                return False
    except OSError:  # unreadable: not known to be dlkit's
        return False
    return True


def incomplete_runs(root: Path) -> list[Path]:
    """The incomplete run folders directly under `root`, by name."""
    root = Path(root)
    return sorted(p for p in root.iterdir() if incomplete(p)) if root.is_dir() else []


def remove_incomplete(root: Path, older_than: float = 60) -> list[Path]:
    """Remove the incomplete run folders under `root` left alone for `older_than` seconds (a run
    starting now writes its run.json within a moment of making its folder); returns them."""
    stale = []
    for path in incomplete_runs(root):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > older_than:
                shutil.rmtree(path)
                stale.append(path)
    return stale
