"""`dlkit eval RUN`: the run's task scores its model.keras on a split into RUN/eval/ (a supervised
run: the same numbers as training's `metrics.json`, scored by `dlkit.engine.score`)."""

from __future__ import annotations

from pathlib import Path

from dlkit.config.loader import load_run_config
from dlkit.core.errors import UsageError
from dlkit.core.registries import TASKS
from dlkit.engine.task import Report, task_of


def evaluate_run(run_dir: Path, split: str = "test", overrides=(), **options) -> Report:
    """`dlkit eval`: the run's task scores it into RUN/eval/ (a supervised run: the same numbers
    as training's `metrics.json`). `options` are the command's task-specific options, None where
    not given; one this run's task does not take is a UsageError."""
    task = task_of(load_run_config(run_dir, overrides))
    given = {option: value for option, value in options.items() if value is not None}
    for option in given:
        if option not in task.eval_options:
            purpose = next(
                (t.eval_options[option] for t in map(TASKS.get, TASKS.names()) if option in t.eval_options), ""
            )
            raise UsageError(f"--{option} {purpose}; this run is not one (task {task.name!r})")
    return task.evaluate_run(Path(run_dir), split, given)
