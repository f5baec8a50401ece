"""`dlkit validate` without --dry-run: the config against what its data is known to be without
loading it (`Dataset.peek`): files and columns that are not there, labels the task does not learn
(text for a regression; said as training says it), and the layers the task finds wrong for that
data (units against the classes, an activation against the loss). No TensorFlow, no pandas."""

from __future__ import annotations

from pathlib import Path

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.loader import read_config
from dlkit.config.paths import where_written
from dlkit.core.errors import ConfigError
from dlkit.core.strict import did_you_mean
from dlkit.data.dataset import COLUMNS
from dlkit.data.peek import OptionError
from dlkit.engine.targets import target_problem
from dlkit.engine.task import task_of


def check_data(config: ExperimentConfig, path: str | Path, overrides=(), dry_run: bool = False) -> None:
    """A ConfigError naming each mistake's key and its file:line (`path` with `overrides` is
    where `config` was read from). A dry run leaves a missing file or column to the build, which
    may not need it (a dataset whose shape is known without its data)."""
    task = task_of(config)
    try:
        peek = config.data.loader().peek(classes=task.counts_classes or task.targets is not None)
    except OptionError as e:
        if dry_run:
            return
        problems = [(("data", "options", *e.key), e.message)]
    else:
        # Labels of another task make the layers' checks (made for this task) beside the point.
        wrong = target_problem(task, peek.target)
        problems = [(("data", *peek.target.key), wrong)] if wrong else []
        problems = problems or task.layer_problems(peek) + column_problems(config, peek)
    if problems:
        lines = read_config(path, overrides)[1]
        raise ConfigError(
            "\n".join(
                f"{where_written(loc, lines, str(path))}: {'.'.join(map(str, loc))}: {message}"
                for loc, message in problems
            )
        )


def column_problems(config: ExperimentConfig, peek) -> list[tuple[tuple, str]]:
    """Graph inputs `columns.NAME` that are not input columns of the data (the build checks them
    again against the encoded columns, with a dry run)."""
    if peek.columns is None:
        return []
    known = [f"{COLUMNS}{name}" for name in peek.columns]
    return [
        (("model", "layers", i, "inputs", j), f"no column {source!r}; {did_you_mean(source, known)}")
        for i, layer in enumerate(getattr(config.model, "layers", []))
        for j, source in enumerate(layer.inputs or [])
        if source.startswith(COLUMNS) and source not in known
    ]
