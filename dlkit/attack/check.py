"""`dlkit attack`'s arguments and run, checked before TensorFlow loads: one line each, exit 2."""

from __future__ import annotations

import math
from pathlib import Path

from dlkit.components.attacks import Attack
from dlkit.core.errors import UsageError
from dlkit.core.registries import ATTACKS
from dlkit.core.registry import UnknownNameError
from dlkit.core.strict import clipped, listed


def check_arguments(method: str, eps: str, steps: int | None, n: int, split: str) -> tuple[Attack, list[float]]:
    """The attack to run and the eps values, or a UsageError naming the bad argument."""
    try:
        entry = ATTACKS.get(method)
    except UnknownNameError as e:
        raise UsageError(f"--method: {e}") from None
    if steps is not None and "steps" not in entry.model_fields:
        raise UsageError(f"--steps: {entry.type_name} takes no steps (it is one step); --steps goes with --method pgd")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps: expected 1 or more. Received: {steps}")
    if n < 1:
        raise UsageError(f"-n: expected 1 or more examples. Received: {n}")
    if split not in ("train", "val", "test"):
        raise UsageError(f"--split: expected train, val or test. Received: {clipped(split)}")
    values = []
    for text in eps.split(","):
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"--eps: {clipped(text.strip())} is not a number; e.g. --eps 0.01,0.05,0.1") from None
        if not (math.isfinite(value) and 0 < value <= 1):
            raise UsageError(f"--eps: each value must be in (0, 1], a fraction of the input's scale. Received: {text}")
        values.append(value)
    arguments = {"steps": steps} if steps is not None else {}
    return entry.model_validate(arguments), sorted(set(values))


def on_tensorflow() -> None:
    """Choose TensorFlow for this process: the attacks take gradients with tf.GradientTape, and a
    run's `.keras` file loads on any backend, whichever it trained on."""
    from dlkit.core.backend import choose_backend

    choose_backend("tensorflow", "dlkit attack (its attacks take gradients with tf.GradientTape)")


def check_run(run_dir: Path) -> None:
    """Refuse, from its config and run.json alone, a run whose task has no classes to score or
    whose inputs are text."""
    on_tensorflow()  # before the run's config chooses its own backend
    from dlkit.config.loader import load_run_config
    from dlkit.core.registries import TASKS
    from dlkit.core.runs import read_run
    from dlkit.engine.task import task_of

    task = task_of(load_run_config(run_dir))
    if not task.attackable:
        fitting = [name for name in TASKS.names() if TASKS.get(name).attackable]
        raise UsageError(
            f"{run_dir}: dlkit attack scores accuracy against class labels: runs of task {listed(fitting)}; "
            f"this run's task is {task.name!r}"
        )
    if (read_run(run_dir).get("input") or {}).get("kind") == "text":
        raise UsageError(f"{run_dir}: cannot attack this run: its inputs are text (token ids are not continuous)")
