"""A task against the kind of its data's labels (`dlkit.data.targets`): one sentence, which
`dlkit validate` says from a peek at the files and `dlkit train` from the loaded labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlkit.core.errors import ConfigError
from dlkit.core.registries import TASKS
from dlkit.data.targets import Target, of_labels

if TYPE_CHECKING:
    from dlkit.data.dataset import Arrays
    from dlkit.engine.task import Task


def target_problem(task: Task, target: Target | None) -> str | None:
    """What is wrong with `task` for labels `target`, and which task fits them; None if it fits
    (or nothing is known, or the task takes any labels)."""
    if target is None or task.targets is None or target.kind in task.targets:
        return None
    default = "" if "task" in task.config.model_fields_set else " (the default)"
    # `fits` as each task class declares it, not as it inherits it: a task built on regression
    # learns numbers, but is not therefore what to propose for every float label.
    fitting = [name for name in TASKS.names() if target.kind in vars(TASKS.get(name)).get("fits", ())]
    fix = f": set task: {' or '.join(fitting)}" if fitting else ""
    return f"{target.subject} holds {target.described()}; task {task.name!r}{default} needs {task.needs}{fix}"


def check_target(task: Task, arrays: Arrays) -> None:
    """A ConfigError where the loaded labels do not fit `task` (before any split or model)."""
    if task.targets is None:
        return
    target = arrays.target
    if target is None:
        target = of_labels(arrays.y_train, *task.config.data.loader().names_target())
    problem = target_problem(task, target)
    if problem:
        raise ConfigError(f"{target.where}: {problem}")
