"""What a study leaves in its folder: `tune.json`, `leaderboard.csv`, `best.yaml` (the best trial's
config, ready for `dlkit train`) and `plots/` (optimisation history, parameter importance)."""

from __future__ import annotations

import csv
import io
import math
import warnings
from pathlib import Path

from dlkit.config import ExperimentConfig, dump_config, parse_config
from dlkit.config.space import trial_data
from dlkit.core import plots
from dlkit.core.runs import atomic_write, now, write_json
from dlkit.tuning.study import StudyFolder, shown_url

ORDER = {"COMPLETE": 0, "PRUNED": 1, "RUNNING": 2, "FAIL": 3, "WAITING": 4}


def leaderboard(study, config: ExperimentConfig) -> list[dict]:
    """One row per trial, best first: finished trials by value, then pruned, running, failed."""
    sign = -1 if config.tune.direction == "maximize" else 1
    rows = []
    for t in study.get_trials(deepcopy=False):
        value = t.value if t.value is not None else (t.intermediate_values[max(t.intermediate_values)]
                                                     if t.intermediate_values else None)  # fmt: skip
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                config.tune.metric: value,
                "epochs": len(t.intermediate_values),
                **{key: t.params.get(key) for key in config.tune.space},
                "seconds": round(t.duration.total_seconds(), 1) if t.duration else None,
                "run": t.user_attrs.get("run"),
                "error": t.user_attrs.get("error"),
            }
        )
    return sorted(
        rows,
        key=lambda r: (
            ORDER[r["state"].upper()],
            sign * r[config.tune.metric] if _number(r[config.tune.metric]) else math.inf,
            r["trial"],
        ),
    )


def _number(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def write_reports(study, folder: StudyFolder, config: ExperimentConfig, data: dict, trials: int) -> dict:
    """Write every report into the folder and return `tune.json`'s content."""
    rows = leaderboard(study, config)
    tune = config.tune
    best = rows[0] if rows and rows[0]["state"] == "complete" else None
    summary = {
        "study": folder.name,
        "storage": shown_url(folder.storage),
        "metric": tune.metric,
        "direction": tune.direction,
        "trials_requested": trials,
        "states": {s: sum(r["state"] == s for r in rows) for s in ("complete", "pruned", "running", "fail")},
        "best": None,
        "updated": now(),
        "trials": rows,
    }
    if best is not None:
        params = {key: best[key] for key in tune.space}
        best_config = parse_config(trial_data(data, params), f"trial {best['trial']}")
        header = (
            f"# The best trial of study {folder.name}: trial {best['trial']}, {tune.metric} {best[tune.metric]:.6g}\n"
            + "".join(f"#   {key}: {value}\n" for key, value in params.items())
            + "# Train it: dlkit train best.yaml\n"
        )
        atomic_write(folder.path / "best.yaml", header + dump_config(best_config))
        summary["best"] = {"trial": best["trial"], "value": best[tune.metric], "params": params,
                           "run": best["run"], "config": "best.yaml"}  # fmt: skip
    write_json(folder.path / "tune.json", summary)
    _write_csv(rows, folder.path / "leaderboard.csv")
    (folder.path / "plots").mkdir(exist_ok=True)
    plots.optimisation_history(
        [(r["trial"], r[tune.metric]) for r in rows if r["state"] == "complete"],
        tune.metric,
        tune.direction,
        folder.path / "plots" / "optimization_history.png",
    )
    importances = parameter_importances(study)
    if importances:
        plots.parameter_importance(importances, tune.metric, folder.path / "plots" / "param_importances.png")
    return summary


def parameter_importances(study) -> dict[str, float]:
    """Optuna's fANOVA importances; empty until two finished trials differ in some value."""
    import optuna
    from optuna.trial import TrialState

    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(finished) < 2 or len({tuple(sorted(map(str, t.params.items()))) for t in finished}) < 2:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return optuna.importance.get_param_importances(study)
        except (ValueError, RuntimeError):
            return {}


def _write_csv(rows: list[dict], path: Path) -> None:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    atomic_write(path, buffer.getvalue())
