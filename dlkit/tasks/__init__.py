"""The built-in tasks: what a model learns, and everything that differs with it (config defaults,
labels, the output check, training, reports, predict rows). Each module of this package registers
one task on the `TASKS` root (`dlkit.core.registries`), which imports them when a task is first
looked up; a user's plug-in can register more (`dlkit.register_task`). The trainer, evaluation,
predict and the CLI look the task up with `dlkit.engine.task.task_of(config)` and never name one.

The contract the tasks implement, `Task`, lives below the trainer (`dlkit.engine.task`); its names
are here too, as plug-ins have imported them from `dlkit.tasks`."""

from dlkit.config.experiment import DEFAULT_TASK
from dlkit.core.registries import TASKS
from dlkit.engine.task import Baseline, Report, Table, Task, task_of

__all__ = ["DEFAULT_TASK", "TASKS", "Baseline", "Report", "Table", "Task", "task_of"]
