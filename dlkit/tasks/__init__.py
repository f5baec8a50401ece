"""Tasks: what a model learns, and everything that differs with it (config defaults, labels, the
output check, training, reports, predict rows). Each module of this package registers one task on
the `TASKS` registry; a user's plug-in can register more (`dlkit.register_task`). The trainer,
evaluation, predict and the CLI look the task up with `task_of(config)` and never name one.

Importing this package loads the registry only: the task modules are imported when a task is
first looked up, so nothing below them has to import them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlkit.registry import Registry
from dlkit.tasks.base import Baseline, Report, Table, Task

if TYPE_CHECKING:
    from dlkit.config.experiment import ExperimentConfig

TASKS = Registry("task", "tasks", package=__name__)
#: The task of a config that does not say `task:`.
DEFAULT_TASK = "classification"


def task_of(config: ExperimentConfig) -> Task:
    """The task of `config`, ready to act on it."""
    return TASKS.get(config.task)(config)


__all__ = ["DEFAULT_TASK", "TASKS", "Baseline", "Report", "Table", "Task", "task_of"]
