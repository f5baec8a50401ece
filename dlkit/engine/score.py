"""Scoring a model on a split. Training (for `metrics.json`) and `dlkit eval` both call `score`
on the saved `model.keras`, so their numbers agree exactly.

The figures come from one prediction pass: `loss` and `train.metrics` as Keras computes them
(named as Keras names them), plus the task's `eval.metrics` report (computed with scikit-learn).
`loss` is the data loss, without the model's regularisation penalties. The task draws its plots.

Beside them, `score_baselines` scores what the model must beat (`eval.baselines`, the task's
`baselines`) with the same `score`, and `verdict` says when the model does not beat the trivial one.
"""

from __future__ import annotations

import numpy as np

from dlkit.config.experiment import ExperimentConfig
from dlkit.data.prepared import PreparedData
from dlkit.data.splits import Split
from dlkit.engine.task import Task, task_of


def predict(model, split: Split, config: ExperimentConfig, data: PreparedData) -> np.ndarray:
    """The model's outputs on a split, in order, through the same pipeline as training."""
    from dlkit.data.pipeline import to_dataset

    batches = to_dataset(
        split, batch_size=config.data.batch_size, shuffle=False, seed=config.seed, decode=data.about.decode
    )
    return np.asarray(model.predict(batches, verbose=0))


def evaluate(config: ExperimentConfig, model, data: PreparedData, names: list[str]):
    """The figures of each named split, and the model's outputs on it (a large training split:
    on a sample, `PreparedData.scored`)."""
    metrics, outputs = {}, {}
    for name in names:
        split = data.scored(name, config.seed)
        outputs[name] = predict(model, split, config, data)
        metrics[name] = score(config, split, outputs[name])
    return metrics, outputs


def score_baselines(config: ExperimentConfig, data: PreparedData, names: list[str]) -> dict:
    """`{"baselines": {baseline: {split: figures}}}` for the splits `names`, scored as the model is;
    empty with `eval.baselines: false` or for a task without baselines."""
    if not getattr(config.eval, "baselines", False):
        return {}
    found = {
        baseline.name: {name: score(config, data.scored(name, config.seed), outputs)
                        for name, outputs in baseline.outputs.items()}
        for baseline in task_of(config).baselines(data, names)
    }  # fmt: skip
    return {"baselines": found} if found else {}


def verdict(task: Task, metrics: dict, split: str = "test") -> str | None:
    """One line when the model's headline figure on `split` does not beat the best trivial
    baseline's (`Task.trivial_baselines`) in `metrics` (a metrics.json); None when it does, or
    when there is nothing to compare."""
    from dlkit.components.metrics import direction

    headline = task.headline(metrics.get(split) or {})
    baselines = metrics.get("baselines") or {}
    if len(headline) != 1:
        return None
    ((name, value),) = headline.items()
    up = direction(name) == "up"
    trivial = [
        (figure, title)
        for baseline, title in task.trivial_baselines.items()
        if isinstance(figure := ((baselines.get(baseline) or {}).get(split) or {}).get(name), int | float)
    ]
    if not trivial:
        return None
    best, title = (max if up else min)(trivial, key=lambda pair: pair[0])
    if (value > best) if up else (value < best):
        return None
    places = next((d for d in range(3, 7) if f"{value:.{d}f}" != f"{best:.{d}f}"), 3)  # as many as tell them apart
    shown = f"{split} {name} {value:.{places}f} does not beat {title} ({best:.{places}f})"
    return f"{shown}: the model learned nothing useful"


def score(config: ExperimentConfig, split: Split, outputs: np.ndarray) -> dict[str, float]:
    """The figures of one split, from the model's outputs on it, in the backend's own tensors."""
    from dlkit.core.backend import keras

    ops = keras().ops
    loss_spec = config.train.loss
    y_true = split.y
    if loss_spec.labels == "one_hot":
        y_true = ops.one_hot(y_true, outputs.shape[-1])
    y_pred = ops.convert_to_tensor(outputs)
    results = {"loss": float(task_of(config).loss()(y_true, y_pred))}
    for spec in config.train.metrics:
        metric = spec.build(loss_spec, outputs.shape[-1])
        metric.update_state(y_true, y_pred)
        results[metric.name] = float(metric.result())
    for name, value in task_of(config).report(split.y, outputs).items():
        results.setdefault(name, value)
    return results
