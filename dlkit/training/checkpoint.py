"""The run's record while training: `last.keras` (with the state resume needs), `best.keras`,
`history.csv` and the heartbeat in `run.json`, each written whole or not at all (a full disk
keeps the last good checkpoint). Imports Keras: load it lazily."""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import signal
import threading
from pathlib import Path

from dlkit.core.backend import fast_saving, keras
from dlkit.core.runs import HISTORY, atomic_write, now, update_run
from dlkit.core.writing import inside, scratch, writing
from dlkit.training import state as saved_state

BEST, LAST = "best.keras", "last.keras"


class Checkpoint(keras().callbacks.Callback):
    """After every finished epoch: save `last.keras` and its state, copy it to `best.keras` when
    `monitor` improved, append the epoch to `history.csv`. It must come after the other callbacks,
    so their state for the epoch is final when it is saved; on a resumed run it puts their state
    back after their own `on_train_begin` resets.

    Within an epoch it watches the loss (a NaN or infinite loss stops training, keeping the last
    good checkpoint), saves a mid-epoch checkpoint every `every_steps` batches, and on `interrupt()`
    (Ctrl-C) saves one and stops (in the epoch's last batches or its validation: at its end). A
    mid-epoch checkpoint holds the batches done and the epoch's running loss and metrics; resumed,
    the epoch goes on from that batch (batches are numbered from the epoch's start even when the
    fit began inside it) with those totals. `monitor` None makes every epoch the best; `losses` are
    the logged quantities that must stay finite."""

    def __init__(
        self,
        run_dir: Path,
        monitor: str | None,
        direction: str,
        *,
        stateful=(),
        every_steps=None,
        resumed=None,
        identity=None,
        losses=("loss",),
        eligible_from=0,
    ):
        super().__init__()
        self.losses = tuple(losses)
        #: Epochs before this one (from 0) are never the best: a pruned model is final only at its target.
        self.eligible_from = eligible_from
        self.run_dir, self.folder = Path(run_dir), inside(run_dir, "checkpoints", folder=True)
        self.history = inside(run_dir, HISTORY)
        self.monitor, self.direction, self.every_steps = monitor, direction, every_steps
        #: The callbacks whose state is saved and restored, this one last.
        self.stateful = [*stateful, self]
        self.best = math.inf if direction == "min" else -math.inf
        self.best_epoch: int | None = None
        self.rows: list[dict] = []
        self.resumed = resumed  # (path, state) of the checkpoint a resumed run starts from
        #: What the run trains on (config, data fingerprint), stored so resume can tell a change.
        self.identity = identity or {}
        self.nan_at: tuple[int, int] | None = None
        #: Ctrl-C seen; `stopped`: training stopped for it before its last epoch ended.
        self.interrupted = self.stopped = False
        #: A resumed run's PyTorch generator state waits for the first batch (`on_epoch_begin`).
        self.rng_pending = False

    # --- what is saved ---

    def _save(self, epochs_done: int, step: int | None = None, best: bool = False) -> None:
        # model.save wants a .keras name; write beside the target, add the state, rename over it.
        last = self.folder / LAST
        fast_saving()
        with writing(last, scratch=(tmp := scratch(last, ".keras"))):
            self.model.save(tmp)
            state, arrays = saved_state.capture(
                self.model,
                self.stateful,
                epochs_done=epochs_done,
                step=step,
                metrics=saved_state.metric_values(self.model) if step else None,
                history=self.rows,
                stopped=bool(self.model.stop_training),  # by early stopping: no epoch is left
                **self.identity,
            )
            saved_state.embed(tmp, state, arrays)
            if best:
                # The same bytes, before last.keras moves on: a run stopped in between goes on from the
                # epoch before and writes this one again. Copied, not the model serialised twice.
                atomic_write(self.folder / BEST, tmp.read_bytes())
            os.replace(tmp, last)
        update_run(self.run_dir, heartbeat=now(), epochs=epochs_done)

    def _write_history(self) -> None:
        names = sorted({k for row in self.rows for k in row} - {"epoch"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, ["epoch", *names], lineterminator="\n")
        writer.writeheader()
        # Keras numbers epochs from 0; the file counts them as people do (and as run.json's best_epoch).
        writer.writerows({**row, "epoch": row["epoch"] + 1} for row in self.rows)
        atomic_write(self.history, buffer.getvalue())

    # --- Keras hooks ---

    def on_train_begin(self, logs=None):
        if self.resumed:
            path, state = self.resumed
            saved_state.restore(path, state, self.model, self.stateful)
            self.rows = [dict(row) for row in state["history"]]
            self._write_history()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, first = epoch, 0
        state = self.resumed[1] if self.resumed else {}
        inside = bool(state.get("step")) and epoch == state["epochs_done"]  # the epoch the run stopped inside
        # PyTorch's generator as the checkpoint left it, where the run left it: before the epoch's
        # data loader draws its seed from it, or, inside an epoch, after (its first batch).
        self.rng_pending = inside
        if state and epoch == state["epochs_done"] and not inside:
            saved_state.restore_torch_rng(self.resumed[0])
        if inside:
            first = state["step"]
            saved_state.restore_metrics(self.model, state["metrics"])
        self.next_save = self.every_steps and first + self.every_steps

    def on_train_batch_begin(self, batch, logs=None):
        if self.rng_pending:
            self.rng_pending = False
            saved_state.restore_torch_rng(self.resumed[0])

    def on_train_batch_end(self, batch, logs=None):
        done, steps = batch + 1, self.params.get("steps")
        if not self._finite(logs):
            self.nan_at = (self.epoch, batch)
            self.model.stop_training = True
        elif steps and done >= steps:
            return  # the epoch's end is saved in a moment (and stops there after a Ctrl-C)
        elif self.interrupted or (self.next_save and done >= self.next_save):
            self._save(self.epoch, step=done)
            self.next_save = self.next_save and done + self.every_steps
            if self.interrupted:
                self.stopped = self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self.nan_at or self.stopped or not self._finite(logs):
            return  # the last good checkpoint stays
        value = logs.get(self.monitor) if self.monitor else None
        improved = epoch >= self.eligible_from and (
            self.monitor is None
            or (value is not None and (value < self.best if self.direction == "min" else value > self.best))
        )
        if improved:
            self.best_epoch = epoch
            self.best = float(value) if value is not None else self.best
        self.rows.append({"epoch": epoch, **{k: float(v) for k, v in logs.items()}})
        self._save(epoch + 1, best=improved)
        self._write_history()
        if self.interrupted and epoch + 1 < self.params.get("epochs", 0):
            self.stopped = self.model.stop_training = True

    def _finite(self, logs) -> bool:
        return all(math.isfinite(float((logs or {}).get(name, 0.0))) for name in self.losses)

    def interrupt(self) -> None:
        """Ctrl-C: finish the current batch, save, stop."""
        self.interrupted = True


@contextlib.contextmanager
def interrupt_saves(checkpoint: Checkpoint):
    """The first Ctrl-C lets the current batch finish, saves a checkpoint and stops; a second one
    stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def first(signum, frame):
        checkpoint.interrupt()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
