"""The trainer: data, model, fit with checkpoints, then score `model.keras` and fill the run folder.
Imports Keras: load it lazily."""

from __future__ import annotations

from pathlib import Path

from dlkit.components.callbacks import log_learning_rate
from dlkit.config import ExperimentConfig, dump_config
from dlkit.core.backend import check_string_inputs, choose_backend, keras, seed_everything
from dlkit.core.errors import DataError, Interrupted, UsageError, WriteError
from dlkit.core.plugins import keep_in_run
from dlkit.core.runs import (
    MODEL,
    atomic_write,
    create_run_dir,
    end_run,
    now,
    point_latest,
    remove_incomplete,
    start_run,
    update_run,
)
from dlkit.core.timings import Timings
from dlkit.core.writing import inside, writing
from dlkit.data.pipeline import batch_count, epoch_variable, first_batch, in_memory, to_dataset
from dlkit.engine.prepare import prepare_data
from dlkit.engine.task import task_of
from dlkit.model.build import build_model
from dlkit.training.addons import Addon, addons_for
from dlkit.training.checkpoint import BEST, Checkpoint, interrupt_saves
from dlkit.training.distributed.distribute import multi_worker, scaled, scope, strategy_of
from dlkit.training.finish import finish
from dlkit.training.phases import Phases, phases_of
from dlkit.training.track import tracked


def train(
    config: ExperimentConfig,
    *,
    runs_dir: Path = Path("runs"),
    run_dir: Path | None = None,
    command=None,
    callbacks=(),
    say=None,
) -> Path:
    """Train `config` into a new run folder (under `runs_dir`, or exactly `run_dir`) and return it.
    Config mistakes raise before the folder exists. `say(line)` is told the rows read and used, the
    split sizes, and the incomplete run folders (stopped before their run.json) removed from
    `runs_dir` as it goes."""
    config.backend = choose_backend(config.backend)  # the one Keras runs on here, or a refusal
    config.check_backend(config.backend)
    session = make_session(config)
    say = say or (lambda line: None)
    say(session.data.rows_used())
    say(session.data.splits.sizes())
    if run_dir is None:
        for stale in remove_incomplete(runs_dir):
            say(f"removed {stale}: an incomplete run folder (its training was stopped before it wrote run.json)")
        run_dir = create_run_dir(runs_dir, config.name)
    else:
        run_dir.mkdir(parents=True)
    with writing(run_dir, scratch=run_dir):  # removed on any failure: it holds nothing of its own yet
        open_run(run_dir, session, command=command)
    return session.fit(run_dir, callbacks)


def open_run(run_dir: Path, session: Session, *, command=None, **fields) -> None:
    """Start a new (empty) run folder for `session`: its folders, its plug-ins' copies,
    `config.yaml` (naming those copies), and `run.json` marked running, with `fields` added."""
    config, data = session.config, session.data
    inside(run_dir, "checkpoints", folder=True)
    inside(run_dir, "plots", folder=True)
    config.plugins, plugins = keep_in_run(config.plugins, run_dir)
    atomic_write(inside(run_dir, "config.yaml"), dump_config(config))
    start_run(
        run_dir,
        command=command,
        seed=config.seed,
        dataset_fingerprint=data.fingerprint,
        dataset=config.data.dataset,
        task=config.task,
        classes=data.class_names or None,
        input={"kind": data.kind, "shape": list(data.input_shape), "features": data.about.feature_names},
        plugins=plugins,
        backend=keras().config.backend(),
        **fields,
    )


def make_session(config: ExperimentConfig, resumed: tuple[Path, dict] | None = None) -> Session:
    """The task's own session if it trains its own way (a GAN), else the standard one."""
    return task_of(config).make_session(resumed) or Session(config, resumed)


class Session:
    """The data, the compiled model and the batches of one training run, fresh or resumed.
    Subclasses (a GAN) change what is trained on, the callbacks and what a finished run writes."""

    #: Logged quantities that must stay finite (a NaN stops the run).
    losses: tuple[str, ...] = ("loss",)
    #: What to change when one of them becomes NaN.
    nan_advice = "lower train.optimizer.learning_rate or add clipnorm"
    #: The add-ons the config switches on (`dlkit/training/addons/`), attached to the compiled model.
    addons: tuple[Addon, ...] = ()
    #: `train.phases` and the one the model is compiled for (None: trained in one go).
    phases: Phases | None = None
    phase: int | None = None
    #: The `tf.distribute` strategy of `train.distribute` (None: one device).
    strategy = None

    def __init__(self, config: ExperimentConfig, resumed: tuple[Path, dict] | None = None):
        self.timings = Timings()
        # First of all: logical CPU devices for `train.distribute` can only be made before TF starts.
        self.strategy = strategy_of(config)
        seed_everything(config.seed, config.train.deterministic)
        self.config, self.resumed = config, resumed
        task = task_of(config)
        #: The data as prepared (a streamed dataset's examples still file paths); `data` is it,
        #: decoded into memory under `data.cache`.
        self.prepared = prepared = prepare_data(config)
        self.data = data = in_memory(prepared) if config.data.cache else prepared
        self.timings.lap("data")
        loss = config.train.loss
        one_hot = len(data.class_names) if loss.labels == "one_hot" else None
        self.batches = dict(
            batch_size=config.data.batch_size, seed=config.seed, one_hot=one_hot, decode=data.about.decode
        )

        def train_examples():  # (x, y) batches: `predict` takes the x
            return to_dataset(data.splits.train, shuffle=False, **self.batches)

        with scope(self.strategy):  # its variables (and the statistics adapted into them) mirrored
            self.model = model = build_model(config, data.model_input(), data.kind, train_examples, data.splits.train.y)
        task.check_output(model, data)
        check_string_inputs(model)
        self.steps_per_epoch = data.splits.train.batch_count(config.data.batch_size)
        self.phases = phases_of(config, model)
        state = resumed[1] if resumed else {}
        # A checkpoint holds the optimizer of the phase of the last epoch it finished (or is inside).
        done = state.get("epochs_done", 0)
        self.compile(done if state.get("step") else max(done - 1, 0))
        #: The training steps a resumed run has behind it: its epochs done and the batches into the next.
        self.steps_done = done * self.steps_per_epoch + (state.get("step") or 0)
        self.class_weight = task.class_weight(data)
        self.addons = addons_for(config)
        for addon in self.addons:
            addon.attach(self)  # to the compiled model, before a resumed run's checkpoint is loaded into it
        self.train_split = data.splits.train
        if resumed:
            with scope(self.strategy):
                model.optimizer.build(model.trainable_variables)
                load_checkpoint(model, resumed[0])
        self.timings.lap("build")

    def compile(self, epoch: int = 0) -> None:
        """Compile the model for epoch `epoch`: with `train.phases`, its phase's trainable layers and
        a fresh optimizer at the phase's learning rate."""
        config = self.config
        optimizer, epochs = config.train.optimizer, config.train.epochs
        if self.phases:
            self.phase = self.phases.at(epoch)
            optimizer, epochs = self.phases.enter(self.phase, optimizer)
        schedule = config.train.lr_schedule
        optimizer = scaled(optimizer, config, self.strategy)
        with scope(self.strategy):  # the optimizer's variables mirrored too
            self._compile(optimizer, schedule, epochs)

    def _compile(self, optimizer, schedule, epochs: int) -> None:
        config, loss, classes = self.config, self.config.train.loss, len(self.data.class_names)
        self.model.compile(
            optimizer=optimizer.build(
                schedule.build(optimizer.learning_rate, self.steps_per_epoch, epochs) if schedule else None
            ),
            loss=task_of(config).loss(),
            metrics=[m.build(loss, classes) for m in config.train.metrics],
            # Keras 3.15's loop of several batches per call fails under MirroredStrategy (feeds no
            # placeholder), and PyTorch's trainer has none.
            steps_per_execution=1
            if self.strategy or keras().config.backend() == "torch"
            else config.train.steps_per_execution,
            jit_compile=config.train.jit_compile,
        )

    def spans(self, start: int):
        """(first, last) epochs of each `fit` from `start` on: one, or one per phase, the model
        recompiled as each phase begins."""
        total = self.config.train.epochs
        if not self.phases:
            yield from [(start, total)] if start < total else []
            return
        for phase, first, last in self.phases.spans(start, total):
            if phase != self.phase:
                self.compile(first)
            yield first, last

    def fit(self, run_dir: Path, callbacks=()) -> Path:
        """`_fit`, logged where `train.track` says."""
        return tracked(self._fit, self.config, run_dir, self.data.fingerprint, callbacks)

    def _fit(self, run_dir: Path, callbacks=()) -> Path:
        """Fit into `run_dir` (from the resumed epoch, or the batch inside it), then score the best
        model and finish the folder; `run.json` says how it ended, however it ends."""
        self.timings.lap("build")  # and opening the run folder
        state = self.resumed[1] if self.resumed else {}
        # Epoch e's order depends only on the seed and e, so a resumed run sees what it would have.
        epoch = epoch_variable(state.get("epochs_done", 0))
        train_ds, val = self._batches(epoch), self.data.splits.val
        val_ds = to_dataset(val, shuffle=False, **self.batches) if val is not None else None
        checkpoint, training = self._callbacks(run_dir, epoch, batch_count(train_ds), callbacks)
        try:
            with interrupt_saves(checkpoint):
                self._run_spans(training, epoch, train_ds, val_ds, state)
            self.timings.lap("fit")
            self._record_end(run_dir, checkpoint)
        except KeyboardInterrupt:
            end_run(run_dir, "interrupted")
            raise Interrupted(run_dir) from None
        except WriteError as e:  # a full disk, say: the last checkpoint is whole
            end_run(run_dir, "failed", error=str(e))
            raise WriteError(f"{e}; the run can go on from its last checkpoint: dlkit train --resume {run_dir}") from e
        except BaseException as e:
            end_run(run_dir, "failed", error=f"{type(e).__name__}: {e}")
            raise
        point_latest(run_dir)
        return run_dir

    def _batches(self, epoch, skip: int = 0):
        """The training batches, augmented, in the order of epoch `epoch` (the variable the fit
        sets as each epoch begins), from batch `skip` on."""
        augment = self.data.about.augment  # training batches only
        return to_dataset(
            self.train_split, shuffle=self.config.data.shuffle, epoch=epoch, skip=skip, augment=augment, **self.batches
        )

    def _callbacks(self, run_dir: Path, epoch, steps: int, callbacks=()) -> tuple[Checkpoint, OneTraining]:
        """The checkpoint, and every callback of the fit as one training: setting the epoch
        variable, the session's own, the configured ones, the caller's, the checkpoint last (it
        saves and restores the state of the session's own and the configured ones)."""
        config = self.config
        configured, own = [spec.build(run_dir) for spec in config.train.callbacks], self.callbacks(run_dir)
        checkpoint = Checkpoint(
            run_dir,
            config.train.checkpoint.monitor,
            config.monitor_direction(),
            stateful=[*configured, *own],
            every_steps=config.train.checkpoint_every,
            resumed=self.resumed,
            identity={"config": config.model_dump(mode="json"), "dataset_fingerprint": self.data.fingerprint},
            losses=self.losses,
            eligible_from=max((addon.best_from() for addon in self.addons), default=0),
        )
        training = OneTraining(
            [
                keras().callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epoch.assign(e)),
                *own,
                *configured,
                *callbacks,
                checkpoint,
            ],
            add_history=True,
            model=self.model,
            epochs=config.train.epochs,
            steps=steps,
            verbose=0,
        )
        return checkpoint, training

    def _run_spans(self, training: OneTraining, epoch, train_ds, val_ds, state: dict) -> None:
        """Train from where `state` (a resumed run's, or empty) left off: the rest of the epoch it
        stopped inside, a fit of its own (Keras takes an epoch's length from the data), then each
        of `spans`, until the last epoch or a stop (early stopping, Ctrl-C)."""
        model = self.model
        start, step = state.get("epochs_done", 0), state.get("step") or 0

        def run(ds, first: int, last: int, offset: int = 0) -> None:
            training.offset = offset
            self.fit_epochs(ds, val_ds, first, last, training)

        training.begin()
        model.stop_training = bool(state.get("stopped"))  # early stopping ended it before a kill
        if step:
            rest = self._batches(epoch, skip=step)
            if len(model.metrics_variables) < len(state["metrics"]):
                # The epoch's running totals go back into the compiled metrics' variables,
                # which Keras on TensorFlow creates only when it traces the train step:
                # its own symbolic build (from the batches' shapes, running nothing) does now.
                model._symbolic_build(data_batch=first_batch(rest))
            run(rest, start, start + 1, offset=step)
            start += 1
        for first, last in self.spans(start):
            if model.stop_training:  # early stopping or Ctrl-C: ends the run, phases too
                break
            run(train_ds, first, last)
        training.end()

    def _record_end(self, run_dir: Path, checkpoint: Checkpoint) -> None:
        """After the fit: refuse a NaN, a stop for Ctrl-C or a run without a best epoch (each
        raises), else finish the folder and mark `run.json` completed."""
        if checkpoint.nan_at:
            epoch, batch = checkpoint.nan_at
            raise DataError(
                f"loss became NaN at epoch {epoch + 1}, batch {batch + 1}: {self.nan_advice} "
                "(the last good checkpoint is kept)"
            )
        if checkpoint.stopped:
            raise KeyboardInterrupt
        if checkpoint.best_epoch is None:
            raise DataError(f"train.checkpoint.monitor: {checkpoint.monitor!r} never had a finite value; no best model")
        metrics = self.finish(run_dir, checkpoint)
        update_run(
            run_dir,
            status="completed",
            ended=now(),
            epochs=len(checkpoint.rows),
            best_epoch=checkpoint.best_epoch + 1,
            best={checkpoint.monitor: checkpoint.best} if checkpoint.monitor else {},
            test=metrics.get("test"),
            headline=task_of(self.config).headline(metrics.get("test") or {}),
            timings=self.timings.done(),
        )

    def fit_epochs(self, ds, val_ds, first: int, last: int, training: OneTraining) -> None:
        """Train epochs `first` to `last` (excluded) on `ds`, validating on `val_ds`: Keras's `fit`,
        or under `strategy: multi_worker` (where `fit` fails in Keras 3) dlkit's own loop."""
        if multi_worker(self.config):
            from dlkit.training.distributed import multiworker

            multiworker.fit_epochs(self.model, self.strategy, ds, val_ds, first, last, training)
            return
        self.model.fit(
            ds,
            validation_data=val_ds,
            epochs=last,
            initial_epoch=first,
            callbacks=training,
            class_weight=self.class_weight,
            shuffle=False,
            verbose=0,
        )

    def callbacks(self, run_dir: Path) -> list:
        """The task's own callbacks and the add-ons', before the configured ones."""
        return [log_learning_rate(), *(callback for addon in self.addons for callback in addon.callbacks())]

    def finish(self, run_dir: Path, checkpoint: Checkpoint) -> dict:
        """Make the best checkpoint `model.keras`, score it and draw the plots; returns metrics.json's content."""
        atomic_write(inside(run_dir, MODEL), (run_dir / "checkpoints" / BEST).read_bytes())
        return finish(run_dir, self.config, self.data, self.timings, self.addons)


def load_checkpoint(model, path: Path) -> None:
    """Load a checkpoint's weights and optimizer state (step count, moments) into `model`, its
    optimizers built; a checkpoint of another model is a one-line UsageError."""
    try:
        model.load_weights(path)
    except (ValueError, KeyError) as e:
        reason = " ".join(str(e).split())[:200]
        raise UsageError(f"{path}: the checkpoint does not fit the model config.yaml builds: {reason}") from None


class OneTraining(keras().callbacks.CallbackList):
    """The callbacks of a training Keras runs as more than one `fit` (the rest of the epoch a
    resumed run stopped inside, then the epochs after it). They see one training, begun and ended
    once (so their state carries over), its batches numbered from the epoch's start (`offset`)."""

    offset, logs = 0, None

    def begin(self) -> None:
        super().on_train_begin()

    def end(self) -> None:
        super().on_train_end(self.logs)

    def on_train_begin(self, logs=None):
        pass  # `fit` calls it for each part: `begin` is the one call

    def on_train_end(self, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self.logs = logs

    def on_train_batch_begin(self, batch, logs=None):
        super().on_train_batch_begin(batch + self.offset, logs)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch + self.offset, logs)
