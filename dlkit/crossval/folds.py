"""The cv folder, `runs/<name>-cv-<stamp>/`: `cv.json` and one run folder per fold (`fold-K`, and
`rR-fold-K` for repeats after the first), each trained by the normal trainer with its fold in its
config.yaml (`data.split.folds/fold/repeat`), so `dlkit eval` on it sees that fold's splits.

Running the same command again finds the newest cv folder of the same resolved config and fold
count and trains only what is missing: a fold interrupted after a checkpoint goes on from it
(`dlkit train --resume`'s code), one that failed or left nothing to resume from starts again.
Folds are claimed under a file lock, so parallel workers never train the same one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from dlkit.config import ExperimentConfig
from dlkit.core.errors import UsageError
from dlkit.core.runs import (
    create_run_dir,
    folder_lock,
    newest_matching,
    now,
    pid_alive,
    read_json,
    read_run,
    run_status,
    write_json,
)

CV_FILE = "cv.json"
CLAIMS = ".claims"


def fold_name(fold: int, repeat: int) -> str:
    return f"fold-{fold}" if repeat == 1 else f"r{repeat}-fold-{fold}"


def fold_names(folds: int, repeats: int) -> list[tuple[str, int, int]]:
    """(name, fold, repeat) of every fold of the request, repeat by repeat."""
    return [(fold_name(k, r), k, r) for r in range(1, repeats + 1) for k in range(1, folds + 1)]


def fold_config(config: ExperimentConfig, folds: int, fold: int, repeat: int) -> ExperimentConfig:
    """`config` as fold `fold` of `folds` (repeat `repeat`) trains it."""
    config = config.model_copy(deep=True)  # training rewrites its plug-in paths: each fold its own copy
    config.data.split = config.data.split.model_copy(update={"folds": folds, "fold": fold, "repeat": repeat})
    return config


def identity(config: ExperimentConfig, folds: int) -> dict:
    """What makes two cross-validations the same: the resolved config and the fold count (more
    repeats continue the same folder)."""
    return {"config": config.model_dump(mode="json"), "folds": folds}


def read_cv(path: Path) -> dict:
    return read_json(Path(path) / CV_FILE)


def open_folder(config: ExperimentConfig, folds: int, runs_dir: Path, *, new: bool, name: str | None = None) -> Path:
    """The cv folder to work on: `name` (a worker's), else the newest one of this very config and
    fold count (unless `new`), else a new `<name>-cv-<stamp>`."""
    ident = identity(config, folds)
    runs_dir = Path(runs_dir)
    if name is not None:
        path = runs_dir / name
        if read_cv(path).get("identity") != ident:
            raise UsageError(f"{path}: not a cross-validation of this config with {folds} folds")
        return path
    path = None if new else newest_matching(runs_dir, f"{config.name}-cv", CV_FILE, "identity", ident)
    if path is None:
        path = create_run_dir(runs_dir, f"{config.name}-cv")
        write_json(path / CV_FILE, {"cv": path.name, "created": now(), "identity": ident})
    return path


def is_done(run_dir: Path) -> bool:
    return read_run(run_dir).get("status") == "completed" and (run_dir / "metrics.json").is_file()


def _claimed(claim: Path) -> bool:
    """Whether another live process on this machine holds the claim (this one's own is left over
    from an interrupted command in the same interpreter)."""
    try:
        pid = int(claim.read_text())
    except (OSError, ValueError):
        return False
    return pid != os.getpid() and pid_alive(pid)


def claim_next(cv_dir: Path, names: list[tuple[str, int, int]]) -> tuple[str, int, int] | None:
    """Claim the first fold that is neither finished nor being trained, or None."""
    claims = cv_dir / CLAIMS
    claims.mkdir(exist_ok=True)
    with folder_lock(cv_dir):
        for entry in names:
            run_dir = cv_dir / entry[0]
            if is_done(run_dir) or _claimed(claims / entry[0]):
                continue
            if run_dir.exists() and run_status(read_run(run_dir)) == "running":
                continue  # another process (not claiming) trains it
            (claims / entry[0]).write_text(str(os.getpid()))
            return entry
    return None


def release(cv_dir: Path, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (cv_dir / CLAIMS / name).unlink()


def train_fold(
    cv_dir: Path, config: ExperimentConfig, entry: tuple[str, int, int], folds: int, *, callbacks, command,
    say: Callable[[str], None],
) -> Path:  # fmt: skip
    """Train one fold into its folder: anew, or on from its checkpoint if it was interrupted."""
    from dlkit.training.checkpoint import LAST
    from dlkit.training.resume import resume
    from dlkit.training.trainer import train

    name, fold, repeat = entry
    run_dir = cv_dir / name
    info = read_run(run_dir)
    if run_dir.exists() and run_status(info) == "interrupted" and (run_dir / "checkpoints" / LAST).is_file():
        say(f"{name}: resuming the interrupted fold")
        return resume(run_dir, callbacks=callbacks, command=command, say=say)
    if run_dir.exists():
        say(f"{name}: {info.get('status', 'unfinished')}; training it again")
        shutil.rmtree(run_dir)
    say(f"{name}: training fold {fold} of {folds}" + (f", repeat {repeat}" if repeat > 1 else ""))
    return train(fold_config(config, folds, fold, repeat), run_dir=run_dir, command=command, callbacks=callbacks)
