"""Scoring a model on a split. Training (for `metrics.json`) and `dlkit eval` both call `score`
on the saved `model.keras`, so their numbers agree exactly.

The figures come from one prediction pass: `loss` and `train.metrics` as Keras computes them
(named as Keras names them), plus the `eval.metrics` report computed with scikit-learn
(precision, recall and F1 macro-averaged over classes). `loss` is the data loss, without the
model's regularisation penalties. `write_report` draws the plots of a task, for both of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dlkit import plots
from dlkit.config import ExperimentConfig, load_config
from dlkit.data.prepare import PreparedData, prepare_data
from dlkit.data.splits import Split
from dlkit.runs import load_run_model, write_json


def predict(model, split: Split, config: ExperimentConfig, data: PreparedData) -> np.ndarray:
    """The model's outputs on a split, in order, through the same pipeline as training."""
    from dlkit.data.pipeline import to_dataset

    batches = to_dataset(
        split, batch_size=config.data.batch_size, shuffle=False, seed=config.seed, decode=data.about.decode
    )
    return np.asarray(model.predict(batches, verbose=0))


def probabilities(config: ExperimentConfig, outputs: np.ndarray) -> np.ndarray:
    """Model outputs as probabilities (softmax/sigmoid applied when the loss takes logits)."""
    if not getattr(config.train.loss, "from_logits", False):
        return outputs
    if config.task == "binary":
        return 1.0 / (1.0 + np.exp(-outputs))
    shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def predicted_classes(config: ExperimentConfig, outputs: np.ndarray) -> np.ndarray:
    if config.task == "binary":
        return (probabilities(config, outputs).reshape(-1) > 0.5).astype("int64")
    return outputs.argmax(axis=-1)


def evaluate(config: ExperimentConfig, model, data: PreparedData, names: list[str]):
    """The figures of each named split, and the model's outputs on it."""
    metrics, outputs = {}, {}
    for name in names:
        split = data.split(name)
        outputs[name] = predict(model, split, config, data)
        metrics[name] = score(config, split, outputs[name])
    return metrics, outputs


def evaluate_run(run_dir: Path, split: str = "test", overrides=()) -> tuple[dict, list[dict]]:
    """`dlkit eval`: score the run's `model.keras` on a split into RUN/eval/; the same numbers
    as training's `metrics.json`. Returns the metrics and the per-class rows."""
    config = load_config(Path(run_dir) / "config.yaml", overrides)
    data = prepare_data(config)
    metrics, outputs = evaluate(config, load_run_model(run_dir), data, [split])
    out = Path(run_dir) / "eval"
    out.mkdir(exist_ok=True)
    write_json(out / "metrics.json", metrics)
    report = write_report(config, data.split(split), outputs[split], data.class_names, out, f"{split} split")
    for stem, content in report.items():
        write_json(out / f"{stem}.json", content)
    return metrics, report.get("classification_report", [])


def write_report(
    config: ExperimentConfig, split: Split, outputs: np.ndarray, class_names: list[str], folder: Path, title: str
) -> dict[str, Any]:
    """Draw the task's plots of one split into `folder`: the confusion matrix (and the ROC curve
    for binary), or the residuals for regression. Returns the data behind them by file stem
    (`classification_report`, `confusion_matrix`, `roc_curve`), which `dlkit eval` keeps as JSON."""
    if config.task == "regression":
        # Several targets share one plot: each point is one target of one example.
        y_pred = outputs.reshape(split.y.shape)
        plots.residuals(split.y.ravel(), y_pred.ravel(), folder / "residuals.png", title)
        return {}
    rows, matrix = class_report(config, split, outputs, class_names)
    plots.confusion_matrix(matrix, class_names, folder / "confusion_matrix.png", title)
    report = {"classification_report": rows, "confusion_matrix": {"classes": class_names, "matrix": matrix.tolist()}}
    if config.task == "binary" and len(np.unique(split.y)) == 2:
        from sklearn import metrics as skm

        fpr, tpr, thresholds = skm.roc_curve(split.y, probabilities(config, outputs).reshape(-1))
        auc = float(skm.auc(fpr, tpr))
        plots.roc_curve(fpr, tpr, auc, folder / "roc_curve.png", title)
        # The first threshold is +inf (nothing predicted positive), which JSON cannot hold.
        thresholds = [float(t) if np.isfinite(t) else None for t in thresholds]
        report["roc_curve"] = {"auc": auc, "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds}
    return report


def score(config: ExperimentConfig, split: Split, outputs: np.ndarray) -> dict[str, float]:
    """The figures of one split, from the model's outputs on it."""
    import tensorflow as tf

    loss_spec = config.train.loss
    y_true = split.y
    if loss_spec.labels == "one_hot":
        y_true = tf.one_hot(y_true, outputs.shape[-1])
    y_pred = tf.constant(outputs)
    results = {"loss": float(loss_spec.build()(y_true, y_pred))}
    for spec in config.train.metrics:
        metric = spec.build(loss_spec, outputs.shape[-1])
        metric.update_state(y_true, y_pred)
        results[metric.name] = float(metric.result())
    for name, value in report_metrics(config, split.y, outputs).items():
        results.setdefault(name, value)
    return results


def report_metrics(config: ExperimentConfig, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
    from sklearn import metrics as skm

    wanted = set(config.eval.metrics) - {"confusion_matrix"}
    if config.task == "regression":
        y_pred = outputs.reshape(y_true.shape)
        mse = skm.mean_squared_error(y_true, y_pred)
        values = {
            "mae": lambda: skm.mean_absolute_error(y_true, y_pred),
            "mse": lambda: mse,
            "rmse": lambda: np.sqrt(mse),
            "r2": lambda: skm.r2_score(y_true, y_pred),
        }
    else:
        y_pred = predicted_classes(config, outputs)
        macro = {"average": "macro", "zero_division": 0}
        values = {
            "accuracy": lambda: skm.accuracy_score(y_true, y_pred),
            "precision": lambda: skm.precision_score(y_true, y_pred, **macro),
            "recall": lambda: skm.recall_score(y_true, y_pred, **macro),
            "f1": lambda: skm.f1_score(y_true, y_pred, **macro),
            "roc_auc": lambda: skm.roc_auc_score(y_true, probabilities(config, outputs).reshape(-1)),
        }
        if len(np.unique(y_true)) < 2:
            wanted.discard("roc_auc")  # undefined on a split with one class only
    return {name: float(values[name]()) for name in sorted(wanted)}


def class_report(config: ExperimentConfig, split: Split, outputs: np.ndarray, class_names: list[str]):
    """Per-class precision/recall/F1/support rows and the confusion matrix."""
    from sklearn import metrics as skm

    y_pred = predicted_classes(config, outputs)
    labels = list(range(len(class_names)))
    p, r, f, s = skm.precision_recall_fscore_support(split.y, y_pred, labels=labels, zero_division=0)
    rows = [
        {"class": name, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
        for i, name in enumerate(class_names)
    ]
    return rows, skm.confusion_matrix(split.y, y_pred, labels=labels)
