"""What `dlkit train` shows of the run it finished, read from the run folder: the figures by split
(the kept model's, and the baselines'), a pruned run's sparsity, a calibrated run's temperature
scaling, where the time went, and a warning when the model does not beat the trivial baseline on
the test split. Nothing here prints."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from dlkit.engine.task import Table


@dataclasses.dataclass
class Summary:
    tables: list[Table]
    #: Seconds per phase of the run (`run.json`'s `timings`), for `--verbose`.
    timings: dict[str, float]
    #: One line when the model does no better than a trivial baseline on the test split.
    warning: str | None


def summarize_run(run_dir: Path) -> Summary:
    """The summary of a finished run (`metrics.json`, `run.json`, `calibration.json` if any)."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    info = json.loads((run_dir / "run.json").read_text())
    monitor = info.get("best", {})
    chosen = f"best model ({', '.join(monitor)})" if monitor else "last epoch"
    tables = [Table.of_metrics(metrics, f"{run_dir.name}: {chosen}")]
    if "sparsity" in metrics:
        tables.append(Table.of_sparsity(metrics, f"{run_dir.name}: pruning"))
    calibrated = run_dir / "calibration.json"
    if calibrated.is_file():
        figures = json.loads(calibrated.read_text())
        splits = {name: figures[name] for name in ("val", "test") if name in figures}
        title = f"{run_dir.name}: temperature scaling"
        tables.append(Table.of_calibration(splits, figures["temperature"], title))
    return Summary(tables, info.get("timings") or {}, _verdict(run_dir, metrics))


def _verdict(run_dir: Path, metrics: dict) -> str | None:
    from dlkit.config.loader import load_run_config
    from dlkit.engine.score import verdict
    from dlkit.engine.task import task_of

    if "baselines" not in metrics:
        return None
    return verdict(task_of(load_run_config(run_dir)), metrics)
