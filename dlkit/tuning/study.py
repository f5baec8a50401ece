"""The study folder, `runs/<name>-tune-<stamp>/`: the Optuna study (a SQLite file in the folder,
or the database `--storage` names), one run folder per trial, and the reports.

Running the same command again finds the newest folder searching the same config and continues it
to the requested number of trials. Trials are claimed under a file lock (and, on PostgreSQL, an
advisory lock every machine sees: `storage.study_lock`), so workers never start more trials than
asked; a trial whose process is gone (Ctrl-C, killed, power lost) is resumed from its checkpoint by
the next worker on the same machine, or repeated elsewhere once `tune.lost_after` has passed.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

from dlkit.config import ExperimentConfig
from dlkit.config.tune import TuneConfig
from dlkit.core.errors import UsageError
from dlkit.core.runs import create_run_dir, newest_matching, now, pid_alive, read_json, write_json
from dlkit.tuning.storage import engine_kwargs, shown_url, study_lock

STUDY_FILE = "study.json"
DATABASE = "study.db"
#: Tries at creating a new study while other workers create it too (see `_create_study`).
CREATE_TRIES = 8


@dataclass
class StudyFolder:
    path: Path
    name: str
    """The study's name in the storage: the folder's name."""
    storage: str
    """An SQLAlchemy URL."""
    created: bool = False
    """Made by this command (and removed again if its study cannot be opened)."""


def search_identity(config: ExperimentConfig) -> dict:
    """What makes two studies the same search: the resolved config, whatever the trial count (and
    `tune.lost_after`)."""
    data = config.model_dump(mode="json")
    data["tune"].pop("trials")
    data["tune"].pop("lost_after")  # how long to wait for other machines is not what is searched
    return data


def open_folder(
    config: ExperimentConfig, runs_dir: Path, *, study: str | None, storage: str | None, new: bool
) -> StudyFolder:
    """The folder (and study) to work on: `--study NAME`'s, else the newest one searching this very
    config (unless `new`), else a new `<name>-tune-<stamp>`. With `--storage` and no `--study`, the
    name is `<name>-tune` on every machine, so they all join one study."""
    identity = search_identity(config)
    if study is None and storage is not None:
        study = f"{config.name}-tune"
    if study is not None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", study):
            raise UsageError(f"--study {study}: letters, digits, '_', '.' and '-' only")
        path = Path(runs_dir) / study
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = None if new else newest_matching(Path(runs_dir), f"{config.name}-tune", STUDY_FILE, "search", identity)
        path = path or create_run_dir(runs_dir, f"{config.name}-tune")
    recorded = _read(path)
    if recorded and recorded.get("search") != identity:
        raise UsageError(
            f"{path}: holds a search of a different config; run with --new (or another --study) to start a new one"
        )
    url = storage or recorded.get("storage") or f"sqlite:///{(path / DATABASE).resolve()}"
    if not recorded:
        write_json(path / STUDY_FILE, {"study": path.name, "storage": storage, "created": now(), "search": identity})
    return StudyFolder(path, path.name, url, created=not recorded)


def _read(path: Path) -> dict:
    return read_json(path / STUDY_FILE)


def open_study(folder: StudyFolder, config: ExperimentConfig, *, worker: int = 0):
    """The Optuna study, created on first use. The sampler's seed differs per worker and per
    trial (`seed_sampler`), so parallel or later workers do not repeat each other's draws."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    tune = config.tune
    try:
        kwargs = engine_kwargs(folder.storage)  # first: a missing driver is its own message
        study = _create_study(folder, config, kwargs)
    except (ImportError, ValueError, optuna.exceptions.OptunaError) as e:
        raise UsageError(f"--storage {shown_url(folder.storage)}: cannot open the study: {_first_line(e)}") from None
    except Exception as e:  # the database's own errors (unreachable server, bad credentials)
        if type(e).__module__.split(".")[0] != "sqlalchemy":
            raise
        raise UsageError(f"--storage {shown_url(folder.storage)}: cannot open the study: {_first_line(e)}") from None
    if study.direction.name.lower() != tune.direction:
        raise UsageError(f"study {folder.name} was created to {study.direction.name.lower()}, not {tune.direction}")
    seed_sampler(study, config, worker)
    return study


def _create_study(folder: StudyFolder, config: ExperimentConfig, engine: dict):
    """`create_study(load_if_exists=True)`, tried again while other workers starting at the same
    moment create the same tables or study (SQLite has no lock across processes for that; on
    PostgreSQL the advisory lock serialises it, and a race is retried all the same)."""
    import optuna

    tries = 0
    while True:
        try:
            with study_lock(folder.storage, folder.name):
                storage = optuna.storages.RDBStorage(folder.storage, engine_kwargs=engine)
                return optuna.create_study(
                    storage=storage,
                    study_name=folder.name,
                    pruner=config.tune.pruner.build(config.train.epochs),
                    direction=config.tune.direction,
                    load_if_exists=True,
                )
        except Exception as e:
            tries += 1
            if tries == CREATE_TRIES or not _lost_race(e):
                raise
        # Jittered, growing waits (about 0.05 s, 0.1 s, ... at most 1 s), so the workers spread out.
        time.sleep(min(1.0, 0.05 * 2 ** (tries - 1)) * random.uniform(0.5, 1.5))


def _lost_race(error: Exception) -> bool:
    """Whether `error` is another worker having created the tables, their version row or the study
    between this one's look and its write (not a wrong URL or an unreachable server)."""
    import optuna
    from sqlalchemy import exc

    if isinstance(error, exc.IntegrityError | optuna.exceptions.DuplicatedStudyError):
        return True
    text = str(error).lower()
    return isinstance(error, exc.DBAPIError) and any(
        sign in text for sign in ("already exists", "database is locked", "duplicate key")
    )


def seed_sampler(study, config: ExperimentConfig, worker: int = 0) -> None:
    """Seed the sampler from the study's trial count before each claim. Claims are one at a time
    (the file lock here, PostgreSQL's advisory lock across machines), so two machines never draw
    alike even though both start as worker 0 of an empty study."""
    trials = len(study.get_trials(deepcopy=False))
    study.sampler = config.tune.sampler.build(config.seed + 1000 * worker + trials, config.tune.grid())


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def owner() -> dict:
    return {"host": platform.node(), "pid": os.getpid(), "heartbeat": now()}


def is_alive(trial, lost_after: float = TuneConfig.model_fields["lost_after"].default) -> bool:
    """Whether a RUNNING trial's process still works on it: on this machine, its process exists; on
    another, its last epoch ended less than `lost_after` seconds ago (`tune.lost_after`). Called
    between trials, so a trial owned by this very process is one it left (an interrupted run in the
    same interpreter)."""
    attrs = trial.user_attrs
    if attrs.get("host") == platform.node():
        return attrs.get("pid") != os.getpid() and pid_alive(attrs.get("pid"))
    try:
        beat = dt.datetime.fromisoformat(attrs["heartbeat"])
    except (KeyError, TypeError, ValueError):
        return False
    return dt.datetime.now().astimezone() - beat < dt.timedelta(seconds=lost_after)


def counted(study) -> int:
    """Trials that use up the budget: finished, pruned, failed for a reason, or running."""
    from optuna.trial import TrialState

    return sum(
        t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        or (t.state == TrialState.FAIL and not t.user_attrs.get("interrupted"))
        for t in study.get_trials(deepcopy=False)
    )
