"""The progress bar counts the epoch's batches, whatever steps_per_execution reports."""

import io

from rich.console import Console

from dlkit.cli.progress import RichProgress


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


def test_an_epoch_resumed_inside_counts_its_batches_from_its_start():
    from dlkit.training.trainer import OneTraining

    bar = RichProgress(Console(file=io.StringIO(), width=100))
    training = OneTraining([bar], epochs=2, steps=23)
    training.begin()
    training.offset = 16  # the run stopped after 16 batches of epoch 2; the rest is a fit of its own
    training.on_epoch_begin(1)
    training.on_train_batch_end(3, {"loss": 0.5})
    assert bar.progress.tasks[0].total == 23 and bar.progress.tasks[0].completed == 20
    training.on_epoch_end(1, {"loss": 0.5})
    training.end()


def test_an_epoch_cut_short_shows_no_figures_history_will_not_keep():
    from dlkit.cli.progress import PlainProgress

    stream = io.StringIO()
    line = PlainProgress(Console(file=stream, width=200))
    line.set_params({"epochs": 5, "steps": 23})
    line.on_epoch_begin(1)
    line.on_train_batch_end(9, {"loss": 0.5})  # Ctrl-C after batch 10: Keras still validates that part
    line.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.4})
    assert "epoch 2/5  stopped after batch 10/23, not kept" in stream.getvalue()
    assert "val_loss" not in stream.getvalue()

    bar = RichProgress(Console(file=io.StringIO(), width=200))
    bar.set_params({"epochs": 5, "steps": 23})
    bar.on_train_begin()
    bar.on_epoch_begin(1)
    bar.on_train_batch_end(9, {"loss": 0.5})
    bar.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.4})
    assert bar.progress.tasks[0].fields["figures"] == "stopped after batch 10/23, not kept"
    bar.on_train_end()


def test_a_whole_epoch_shows_its_figures():
    from dlkit.cli.progress import PlainProgress

    stream = io.StringIO()
    line = PlainProgress(Console(file=stream, width=200))
    line.set_params({"epochs": 5, "steps": 23})
    line.on_epoch_begin(0)
    line.on_train_batch_end(22, {"loss": 0.5})
    line.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.4})
    assert "epoch 1/5  loss 0.5000  val_loss 0.4000" in stream.getvalue()
