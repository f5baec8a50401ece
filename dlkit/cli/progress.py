"""The training progress as a Keras callback: a rich bar per epoch on a terminal, a plain line per
epoch in a pipe or a log file. Imports Keras: load it lazily."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dlkit.core.backend import keras


def _format(logs: dict, keys=None) -> str:
    items = [(k, v) for k, v in logs.items() if (keys is None or k in keys) and k != "learning_rate"]
    return "  ".join(f"{k} {v:.4f}" for k, v in items)


def _cut_short(done: int, steps: int | None) -> str | None:
    """What to show instead of an epoch's figures when it stopped before its last batch (Ctrl-C, a
    NaN loss): Keras still reports that part and its validation, which history.csv never keeps."""
    if steps is None or done >= steps:
        return None
    return f"stopped after batch {done}/{steps}, not kept"


class RichProgress(keras().callbacks.Callback):
    """One bar per epoch with the running loss; the finished bar keeps the epoch's figures."""

    def __init__(self, console: Console):
        super().__init__()
        self.console = console
        self.progress = None
        self.task = None
        self.done = 0

    def on_train_begin(self, logs=None):
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[figures]}"),
            console=self.console,
        )
        self.progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs")
        self.done = 0
        self.task = self.progress.add_task(
            f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}", total=self.params.get("steps"), figures=""
        )

    def on_train_batch_end(self, batch, logs=None):
        # With steps_per_execution > 1 Keras reports every few batches, giving the last one's index,
        # which for the epoch's last, shorter group runs past the epoch's end.
        done = batch + 1 if self.params.get("steps") is None else min(batch + 1, self.params["steps"])
        self.done = done
        self.progress.update(self.task, completed=done, figures=_format(logs or {}, ("loss",)))

    def on_epoch_end(self, epoch, logs=None):
        figures = _cut_short(self.done, self.params.get("steps")) or _format(logs or {})
        self.progress.update(self.task, figures=figures)

    def on_train_end(self, logs=None):
        self.progress.stop()


class PlainProgress(keras().callbacks.Callback):
    """One line per finished epoch (`epoch 2/5  loss 0.4123  val_loss 0.3981  (3.1 s)`): what a log
    file or a pipe can hold, where a live bar would collapse into fragments."""

    def __init__(self, console: Console):
        super().__init__()
        self.console = console
        self.started = 0.0
        self.done = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.started, self.done = time.perf_counter(), 0

    def on_train_batch_end(self, batch, logs=None):
        self.done = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        epochs = self.params.get("epochs")
        seconds = time.perf_counter() - self.started
        figures = _cut_short(self.done, self.params.get("steps")) or _format(logs or {})
        line = f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  {figures}  ({seconds:.1f} s)"
        self.console.print(line, markup=False, highlight=False)


def progress(console: Console):
    """The progress callback that suits where `console` writes."""
    return RichProgress(console) if console.is_terminal else PlainProgress(console)
