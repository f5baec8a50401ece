"""`dlkit generate`: samples from a run of a task that generates (a GAN), the same for the same seed."""

from __future__ import annotations

from pathlib import Path

from dlkit.config.loader import load_run_config
from dlkit.core.errors import UsageError
from dlkit.core.registries import TASKS
from dlkit.engine.task import task_of


def generate(run_dir: Path, n: int, seed: int, out: Path, npz: Path | None = None) -> dict:
    """Write a grid of `n` samples to `out` (PNG) and with `npz` the arrays; a run of a task that
    does not generate is a UsageError."""
    task = task_of(load_run_config(run_dir))
    if not task.generates:
        generators = [TASKS.get(name) for name in TASKS.names() if TASKS.get(name).generates]
        kinds = " or ".join(t.title or t.type_name for t in generators)
        names = " or ".join(t.type_name for t in generators)
        raise UsageError(f"{run_dir}: not a {kinds} run (task {task.name!r}); generate needs a run of task {names}")
    return task.generate(Path(run_dir), n, seed, out, npz)
