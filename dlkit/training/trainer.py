"""The trainer: data, model, fit with checkpoints, then score `model.keras` and fill the run folder.
Imports Keras: load it lazily."""

from __future__ import annotations

from pathlib import Path

from dlkit import plots
from dlkit.backend import keras, seed_everything
from dlkit.config import ExperimentConfig, dump_config
from dlkit.data.pipeline import to_dataset
from dlkit.data.prepare import PreparedData, prepare_data
from dlkit.errors import DataError
from dlkit.evaluation import class_report, evaluate
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
    model.compile(
        optimizer=config.train.optimizer.build(),
        loss=loss.build(),
        metrics=[m.build(loss) for m in config.train.metrics],
        steps_per_execution=config.train.steps_per_execution,
    )
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


def finish(run_dir: Path, config: ExperimentConfig, data: PreparedData) -> dict:
    """Score the saved model on every split into `metrics.json`, and draw the plots."""
    model = load_run_model(run_dir)
    metrics, outputs = evaluate(config, model, data, data.split_names())
    write_json(run_dir / "metrics.json", metrics)
    plots.learning_curves(run_dir / HISTORY, run_dir / "plots" / "learning_curves.png")
    if config.task != "regression":
        _, matrix = class_report(config, data.splits.test, outputs["test"], data.class_names)
        plots.confusion_matrix(matrix, data.class_names, run_dir / "plots" / "confusion_matrix.png", "test split")
    return metrics
