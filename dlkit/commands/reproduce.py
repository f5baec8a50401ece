"""`dlkit reproduce RUN`: train a run again from its own `config.yaml` (its plug-ins' copies
included) into a new run folder, and tell key by key whether `metrics.json` came out the same,
naming what changed underneath (dlkit/TensorFlow/Keras/Python versions, the dataset's
fingerprint). The trainer (and TensorFlow) load once the run is known to be one to reproduce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlkit.commands.compare import metric_differences
from dlkit.config import load_run_config
from dlkit.core.errors import UsageError
from dlkit.core.runs import read_run, resolve_run, run_status, update_run, write_json
from dlkit.core.writing import inside

REPORT = "reproduce.json"
#: The `run.json` versions a different result may come from (the platform string names a kernel
#: build, which changes with every update and changes no figure).
VERSIONS = ("dlkit", "tensorflow", "keras", "python")


def reproduce(run: Path, runs_dir: Path | None = None, *, command=None, callbacks=()) -> dict[str, Any]:
    """Train `run`'s config again into a new folder (under `runs_dir`, default beside `run`) and
    return the report written there as `reproduce.json`."""
    run_dir = resolve_run(run)
    info = read_run(run_dir)
    if not (run_dir / "metrics.json").is_file():
        raise UsageError(
            f"{run_dir}: no metrics.json to compare with (status: {run_status(info)}); reproduce a finished run"
        )
    config = load_run_config(run_dir)
    from dlkit.training.trainer import train

    new_dir = train(config, runs_dir=runs_dir or run_dir.parent, command=command, callbacks=callbacks)
    report = compare_runs(run_dir, new_dir)
    write_json(inside(new_dir, REPORT), report)
    update_run(new_dir, reproduces=str(run_dir))
    return report


def compare_runs(original: Path, new: Path) -> dict[str, Any]:
    """The report on `new` as a reproduction of `original`."""
    from dlkit.commands.compare import Run

    first, second = Run.read(original, original.name), Run.read(new, new.name)
    rows = metric_differences(first.metrics, second.metrics)
    deterministic = bool((first.config.get("train") or {}).get("deterministic"))
    was, now = first.info.get("versions") or {}, second.info.get("versions") or {}
    versions = {name: {"original": was.get(name), "reproduction": now.get(name)}
                for name in VERSIONS if was.get(name) != now.get(name)}  # fmt: skip
    fingerprints = {"original": first.info.get("dataset_fingerprint"),
                    "reproduction": second.info.get("dataset_fingerprint")}  # fmt: skip
    return {
        "original": str(original),
        "reproduction": str(new),
        "deterministic": deterministic,
        "reproduced": bool(rows) and all(row["equal"] for row in rows),
        "metrics": rows,
        "versions_changed": versions,
        "dataset_fingerprint": fingerprints | {"same": fingerprints["original"] == fingerprints["reproduction"]},
    }
