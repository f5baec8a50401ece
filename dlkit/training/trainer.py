"""The trainer: data, model, fit with checkpoints, then score `model.keras` and fill the run folder.
Imports Keras: load it lazily."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from dlkit import plots
from dlkit.backend import keras, seed_everything
from dlkit.config import ExperimentConfig, dump_config
from dlkit.data.pipeline import to_dataset
from dlkit.data.prepare import PreparedData, prepare_data
from dlkit.errors import ConfigError, DataError
from dlkit.evaluation import evaluate, write_report
from dlkit.model import build_model, check_output
from dlkit.runs import (
    HISTORY,
    MODEL,
    atomic_write,
    create_run_dir,
    load_run_model,
    now,
    point_latest,
    start_run,
    update_run,
    write_json,
)
from dlkit.training.callbacks import log_learning_rate
from dlkit.training.checkpoint import BEST, Checkpoint


def train(config: ExperimentConfig, *, runs_dir: Path = Path("runs"), command=None, callbacks=()) -> Path:
    """Train `config` into a new run folder and return it. Config mistakes raise before the folder exists."""
    seed_everything(config.seed, config.train.deterministic)
    data = prepare_data(config)
    loss = config.train.loss
    one_hot = len(data.class_names) if loss.labels == "one_hot" else None
    batches = dict(batch_size=config.data.batch_size, seed=config.seed, one_hot=one_hot, decode=data.about.decode)

    def train_examples():
        return to_dataset(data.splits.train, shuffle=False, **batches).map(lambda x, y: x)

    model = build_model(config, data.model_input(), data.kind, train_examples)
    check_output(model, config, data.class_names, data.target_dim)
    steps_per_epoch = math.ceil(len(data.splits.train) / config.data.batch_size)
    schedule = config.train.lr_schedule
    model.compile(
        optimizer=config.train.optimizer.build(
            schedule.build(config.train.optimizer.learning_rate, steps_per_epoch, config.train.epochs)
            if schedule
            else None
        ),
        loss=loss.build(),
        metrics=[m.build(loss, len(data.class_names)) for m in config.train.metrics],
        steps_per_execution=config.train.steps_per_execution,
        jit_compile=config.train.jit_compile,
    )
    class_weight = class_weights(config, data)
    train_ds = to_dataset(data.splits.train, shuffle=config.data.shuffle, cache=config.data.cache, **batches)
    val_ds = to_dataset(data.splits.val, shuffle=False, **batches) if data.splits.val is not None else None

    run_dir = create_run_dir(runs_dir, config.name)
    (run_dir / "checkpoints").mkdir()
    (run_dir / "plots").mkdir()
    atomic_write(run_dir / "config.yaml", dump_config(config))
    start_run(
        run_dir,
        command=command,
        seed=config.seed,
        dataset_fingerprint=data.fingerprint,
        dataset=config.data.dataset,
        task=config.task,
        classes=data.class_names or None,
        input={"kind": data.kind, "shape": list(data.input_shape), "features": data.about.feature_names},
    )
    try:
        checkpoint = Checkpoint(
            run_dir / "checkpoints", config.train.checkpoint.monitor, config.train.checkpoint.direction()
        )
        fit_callbacks = [
            log_learning_rate(),
            checkpoint,
            keras().callbacks.CSVLogger(str(run_dir / HISTORY)),
            *(spec.build(run_dir) for spec in config.train.callbacks),
            *callbacks,
        ]
        history = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=config.train.epochs,
            callbacks=fit_callbacks,
            class_weight=class_weight,
            shuffle=False,
            verbose=0,
        )
        if checkpoint.best_epoch is None:
            raise DataError(f"train.checkpoint.monitor: {checkpoint.monitor!r} never had a finite value; no best model")
        atomic_write(run_dir / MODEL, (run_dir / "checkpoints" / BEST).read_bytes())
        metrics = finish(run_dir, config, data)
    except KeyboardInterrupt:
        update_run(run_dir, status="interrupted", ended=now())
        raise
    except BaseException as e:
        update_run(run_dir, status="failed", ended=now(), error=f"{type(e).__name__}: {e}")
        raise
    update_run(
        run_dir,
        status="completed",
        ended=now(),
        epochs=len(history.epoch),
        best_epoch=checkpoint.best_epoch + 1,
        best={config.train.checkpoint.monitor: checkpoint.best},
        test=metrics["test"],
    )
    point_latest(run_dir)
    return run_dir


def class_weights(config: ExperimentConfig, data: PreparedData) -> dict[int, float] | None:
    """`train.class_weight` as {class index: weight}; `balanced` weighs each class by
    examples / (classes x its examples) in the training split."""
    wanted, names = config.train.class_weight, data.class_names
    if wanted is None:
        return None
    if wanted == "balanced":
        counts = np.bincount(np.asarray(data.splits.train.y, dtype="int64").reshape(-1), minlength=len(names))
        return {i: float(counts.sum() / (len(names) * n)) for i, n in enumerate(counts) if n}
    weights = dict.fromkeys(range(len(names)), 1.0)  # Keras wants every class up to the largest named
    for key, weight in wanted.items():
        if str(key) in names:
            weights[names.index(str(key))] = weight
        elif isinstance(key, int) and 0 <= key < len(names):
            weights[key] = weight
        else:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise ConfigError(f"train.class_weight.{key}: no such class; the classes are {shown}")
    return weights


def finish(run_dir: Path, config: ExperimentConfig, data: PreparedData) -> dict:
    """Score the saved model on every split into `metrics.json`, and draw the plots (the learning
    curves, and the task's report on the test split)."""
    model = load_run_model(run_dir)
    metrics, outputs = evaluate(config, model, data, data.split_names())
    write_json(run_dir / "metrics.json", metrics)
    plots.learning_curves(run_dir / HISTORY, run_dir / "plots" / "learning_curves.png")
    write_report(config, data.splits.test, outputs["test"], data.class_names, run_dir / "plots", "test split")
    return metrics
