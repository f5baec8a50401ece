"""`dlkit tune`'s core: check the search, open its study folder, run trials here and in `workers - 1`
more processes, then write the reports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dlkit.config.loader import load_config_and_data
from dlkit.core.errors import ConfigError, DlkitError
from dlkit.core.strict import listed
from dlkit.tuning.study import StudyFolder, open_folder, open_study


def search(
    path: Path,
    overrides: list[str],
    *,
    runs_dir: Path = Path("runs"),
    trials: int | None = None,
    workers: int = 1,
    storage: str | None = None,
    study: str | None = None,
    new: bool = False,
    worker: int = 0,
    plugins: list[Path] = (),
    say: Callable[[str], None] = lambda message: None,
) -> tuple[StudyFolder, dict | None]:
    """Run the config's search until its study holds `trials` trials (default `tune.trials`);
    return the study folder and, from the first worker, the summary it wrote as `tune.json`."""
    config, data = load_config_and_data(path, overrides, plugins)
    if config.tune is None:
        raise ConfigError(f"{path}: no tune: section; add one with the keys to search (README: Hyperparameter search)")
    trials = trials or config.tune.trials
    size = config.tune.grid_size()
    if size is not None and trials > size:
        say(f"the grid has {size} combinations: {size} trials, not {trials}")
        trials = size
    folder = open_folder(config, runs_dir, study=study, storage=storage, new=new)
    try:
        optuna_study = open_study(folder, config, worker=worker)
    except DlkitError:
        if folder.created:  # a wrong --storage leaves nothing behind
            shutil.rmtree(folder.path, ignore_errors=True)
        raise
    sets = [a for s in overrides for a in ("--set", s)] + [a for p in plugins for a in ("--plugin", str(p))]
    again = ["dlkit", "tune", str(path), *sets, "--runs-dir", str(runs_dir), "--study", folder.name]
    again += ["--trials", str(trials)] + (["--storage", storage] if storage else [])
    children = [] if worker else [_spawn(again, folder, k) for k in range(1, workers)]
    if children:
        say(f"{len(children)} more worker(s); their logs: {folder.path}/worker-N.log")
    from dlkit.tuning.trials import work

    try:
        work(optuna_study, folder, config, data, trials, command=again, worker=worker, say=say)
    finally:
        codes = [child.wait() for child in children]
    if worker:
        return folder, None
    from dlkit.tuning.report import write_reports

    summary = write_reports(optuna_study, folder, config, data, trials)
    failed = [k for k, code in enumerate(codes, start=1) if code != 0]
    if failed:
        logs = listed([str(folder.path / f"worker-{k}.log") for k in failed], 3)
        raise DlkitError(f"{len(failed)} worker(s) stopped with an error; see {logs}")
    return folder, summary


def _spawn(command: list[str], folder: StudyFolder, index: int) -> subprocess.Popen:
    """Another worker: the same search in a new process, on the same study."""
    if "--storage" not in command:
        command = [*command, "--storage", folder.storage]
    args = [sys.executable, "-m", "dlkit", *command[1:], "--worker", str(index)]
    with open(folder.path / f"worker-{index}.log", "ab") as log:
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
