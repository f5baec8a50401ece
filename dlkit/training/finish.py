"""The end of a training run: the best model scored on every split into `metrics.json` and the
plots drawn. Imports Keras: load it lazily."""

from __future__ import annotations

from pathlib import Path

from dlkit.config import ExperimentConfig
from dlkit.core import plots, spare_plots
from dlkit.core.runs import HISTORY, write_json
from dlkit.core.timings import Timings
from dlkit.core.writing import inside
from dlkit.data.prepared import PreparedData
from dlkit.engine.score import evaluate, score_baselines
from dlkit.engine.task import task_of
from dlkit.model.saved import load_run_model


def finish(run_dir: Path, config: ExperimentConfig, data: PreparedData, timings: Timings, addons=()) -> dict:
    """Score the saved model on every split into `metrics.json`, and draw the plots (the learning
    curves, and the task's report on the test split, its data as JSON beside). Scoring the file,
    not the model in memory, also checks that `model.keras` loads. The run's add-ons (`Addon`s)
    may change the model first (`eval.calibrate`: it is scored as calibrated) and add entries of their own
    (pruning's sparsity and size). The baselines (`eval.baselines`) are scored on the validation
    and test splits beside it. The learning curves go first: in `dlkit train`'s spare process
    (`dlkit.core.spare_plots`) they are drawn while the splits are scored."""
    plots_dir = inside(run_dir, "plots", folder=True)
    plots.learning_curves(run_dir / HISTORY, plots_dir / "learning_curves.png")
    for addon in addons:
        addon.before_scoring(run_dir, data)
    model = load_run_model(run_dir)
    metrics, outputs = evaluate(config, model, data, data.split_names())
    for addon in addons:
        metrics |= addon.report(model)
    metrics |= score_baselines(config, data, [name for name in data.split_names() if name != "train"])
    write_json(inside(run_dir, "metrics.json"), metrics)
    timings.lap("evaluate")
    report = task_of(config).write_report(data.splits.test, outputs["test"], data.class_names, plots_dir, "test split")
    for stem, content in report.items():
        write_json(plots_dir / f"{stem}.json", content)
    spare_plots.wait()  # the drawings sent to it (`dlkit train` starts it)
    timings.lap("plots")
    return metrics
