"""The progress bar counts the epoch's batches, whatever steps_per_execution reports."""

import io

from rich.console import Console

from dlkit.ui.progress import RichProgress


def test_the_last_short_group_of_batches_does_not_run_past_the_epoch():
    bar = RichProgress(Console(file=io.StringIO(), width=100))
    bar.set_params({"epochs": 1, "steps": 23})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    for batch in (7, 15, 23):  # steps_per_execution 8: Keras reports the last index of each group
        bar.on_train_batch_end(batch, {"loss": 0.5})
    assert bar.progress.tasks[0].completed == 23
    bar.on_epoch_end(0, {"loss": 0.5})
    bar.on_train_end()
