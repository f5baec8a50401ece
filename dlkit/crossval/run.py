"""`dlkit cv`'s core: check the request (before any folder), open the cv folder, train the missing
folds here and in `workers - 1` more processes, then write `cv.json`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dlkit.config import ExperimentConfig, load_config
from dlkit.core.errors import ConfigError, DlkitError, Interrupted, UsageError
from dlkit.core.runs import now, write_json
from dlkit.core.strict import listed
from dlkit.crossval.folds import (
    CV_FILE,
    claim_next,
    fold_config,
    fold_names,
    is_done,
    open_folder,
    read_cv,
    release,
    train_fold,
)
from dlkit.crossval.summary import summarise


def check_request(folds: int, repeats: int, workers: int) -> None:
    """Arguments that cannot work, refused before anything loads."""
    if folds < 2:
        raise UsageError(f"--folds {folds}: cross-validation needs at least 2 folds")
    if repeats < 1:
        raise UsageError(f"--repeats {repeats}: at least 1")
    if workers < 1:
        raise UsageError(f"--workers {workers}: at least 1")


def check_folds(config: ExperimentConfig, folds: int, repeats: int, source: str) -> None:
    """Whether the config takes folds (its task's checks) and the data left once the test split is
    held out can be cut into `folds` folds: loads the data (no model), so a refusal comes before
    any folder exists."""
    from dlkit.config.loader import parse_config
    from dlkit.data.folds import fold_problem
    from dlkit.data.stream import refusal
    from dlkit.engine.prepare import prepare_data
    from dlkit.engine.task import task_of

    split = config.data.split
    if split.folds is not None:
        raise UsageError("data.split.folds is set in the config; dlkit cv sets it for each fold: remove it")
    if split.ordered and repeats > 1:
        raise UsageError(f"--repeats {repeats}: time-ordered folds (data.split.ordered) are the same in every repeat")
    parse_config(fold_config(config, folds, 1, 1).model_dump(mode="json"), source)
    if getattr(config.data.loader(), "stream", False):  # before a pass over a table beyond memory
        raise ConfigError(refusal(fold_config(config, folds, 1, 1).data.split, False))
    pool = config.model_copy(deep=True)
    pool.data.split = split.model_copy(update={"validation": 0.0})
    data = prepare_data(pool)
    problem = fold_problem(
        data.splits.train.y, folds, stratify=task_of(config).stratify, ordered=split.ordered,
        class_names=data.class_names, groups=data.splits.train.groups,
    )  # fmt: skip
    if problem:
        raise UsageError(f"--folds {folds}: {problem}")


def cross_validate(
    path: Path,
    overrides: list[str],
    *,
    folds: int = 5,
    repeats: int = 1,
    runs_dir: Path = Path("runs"),
    new: bool = False,
    workers: int = 1,
    worker: int = 0,
    folder: str | None = None,
    plugins: list[Path] = (),
    progress: Callable[[], list] = list,
    say: Callable[[str], None] = lambda message: None,
) -> tuple[Path, dict | None]:
    """Train every fold of the request not yet trained in the cv folder; return the folder and,
    from the first worker, what it wrote into cv.json. `progress()` makes the Keras callbacks each
    fold's training gets (called once the request is found sound: they may load TensorFlow)."""
    check_request(folds, repeats, workers)
    config = load_config(path, overrides, plugins)
    if folder is None:
        check_folds(config, folds, repeats, str(path))
    cv_dir = open_folder(config, folds, runs_dir, new=new, name=folder)
    callbacks = progress()
    names = fold_names(folds, repeats)
    sets = [a for s in overrides for a in ("--set", s)] + [a for p in plugins for a in ("--plugin", str(p))]
    command = ["dlkit", "cv", str(path), *sets, "--folds", str(folds), "--repeats", str(repeats)]
    command += ["--runs-dir", str(runs_dir)]
    children = [] if worker else [_spawn(command, cv_dir, k) for k in range(1, workers)]
    if children:
        say(f"{len(children)} more worker(s); their logs: {cv_dir}/worker-N.log")
    try:
        _work(cv_dir, config, names, folds, callbacks=callbacks, command=command, say=say)
    finally:
        codes = [child.wait() for child in children]
    if worker:
        return cv_dir, None
    failed = [k for k, code in enumerate(codes, start=1) if code != 0]
    missing = [name for name, _, _ in names if not is_done(cv_dir / name)]
    if failed or missing:
        logs = listed([str(cv_dir / f"worker-{k}.log") for k in failed], 3)
        raise DlkitError(f"folds not trained: {listed(missing, 5)}" + (f"; see {logs}" if failed else ""))
    result = summarise(cv_dir, [name for name, _, _ in names])
    record = read_cv(cv_dir)
    record |= {"folds": folds, "repeats": repeats, "updated": now(), "runs": result["folds"]}
    record |= {"summary": result["summary"], "interval": result["interval"]}
    write_json(cv_dir / CV_FILE, record)
    return cv_dir, result


def _work(cv_dir: Path, config: ExperimentConfig, names, folds: int, *, callbacks, command, say) -> None:
    """Claim and train folds until none is left to this process."""
    while (entry := claim_next(cv_dir, names)) is not None:
        try:
            train_fold(cv_dir, config, entry, folds, callbacks=callbacks, command=command, say=say)
        except Interrupted:
            raise DlkitError(
                f"interrupted in {entry[0]}; the same dlkit cv command continues it and the missing folds ({cv_dir})"
            ) from None
        finally:
            release(cv_dir, entry[0])


def _spawn(command: list[str], cv_dir: Path, index: int) -> subprocess.Popen:
    """Another worker: the same cross-validation in a new process, on the same folder."""
    args = [sys.executable, "-m", "dlkit", *command[1:], "--folder", cv_dir.name, "--worker", str(index), "-q"]
    with open(cv_dir / f"worker-{index}.log", "ab") as log:
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
