"""The end of a training run: the best model scored on every split into `metrics.json` and the
plots drawn. Imports Keras: load it lazily."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dlkit import plots
from dlkit.config import ExperimentConfig
from dlkit.data.prepare import PreparedData
from dlkit.evaluation import evaluate
from dlkit.runs import HISTORY, load_run_model, write_json
from dlkit.tasks import task_of
from dlkit.timings import Timings
from dlkit.training.calibrate import calibrate


def own_layers(model) -> bool:
    """Whether every layer of `model` is Keras's or dlkit's own (which load in safe mode, tested)."""
    return all(type(layer).__module__.startswith(("keras.", "dlkit.")) for layer in model._flatten_layers())


def finish(
    run_dir: Path, config: ExperimentConfig, data: PreparedData, timings: Timings, describe=None, model=None
) -> dict:
    """Score the saved model on every split into `metrics.json`, and draw the plots (the learning
    curves, and the task's report on the test split, its data as JSON beside). `model` is the
    model in memory when it holds model.keras's weights (not loaded back then). `describe(model)`
    adds entries of its own (pruning's sparsity and size). With `eval.calibrate` the model is
    calibrated first, and scored as calibrated."""
    if getattr(config.eval, "calibrate", None):
        calibrate(run_dir, config, data)
        model = None  # model.keras now ends in the temperature
    plots_dir = run_dir / "plots"
    import sklearn.metrics  # noqa: F401  (the scores' import, not at once with matplotlib's in the drawing thread)

    with ThreadPoolExecutor(1) as drawing:
        # Drawn while the model is scored (TensorFlow's kernels leave the interpreter free).
        curves = drawing.submit(plots.learning_curves, run_dir / HISTORY, plots_dir / "learning_curves.png")
        if model is None:
            model = load_run_model(run_dir)
        metrics, outputs = evaluate(config, model, data, data.split_names())
        metrics |= describe(model) if describe else {}
        write_json(run_dir / "metrics.json", metrics)
        timings.lap("evaluate")
        curves.result()
    report = task_of(config).write_report(data.splits.test, outputs["test"], data.class_names, plots_dir, "test split")
    for stem, content in report.items():
        write_json(plots_dir / f"{stem}.json", content)
    timings.lap("plots")
    return metrics
