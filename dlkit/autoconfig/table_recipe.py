"""What `dlkit init` writes to train a table, chosen by measurement (docs/tables.md): an MLP of two
256-unit layers (a little dropout for classes, none for a number), AdamW, the batch grown with the
rows, the rate halved when validation stalls and patience enough not to stop at the first plateau;
and, with `--tune`, a search space and a trial budget for a table of that size. Plain Python, like
the rest of init."""

from __future__ import annotations

#: Batches per epoch the batch size is grown to stay near: fewer, larger batches on a large table
#: (diamonds' 53,940 rows: 128 a batch), never over MAX_BATCH.
STEPS_PER_EPOCH = 400
MIN_BATCH, MAX_BATCH = 32, 512

#: Epochs at most, the rate halved after PLATEAU epochs without a better val_loss, training stopped
#: after PATIENCE (the best epoch's weights kept). Patience 5 stopped diamonds at epoch 6 with the
#: best at epoch 1.
EPOCHS, PLATEAU, PATIENCE = 200, 4, 12

#: Why a regression MLP has no dropout: at inference dropout's missing noise shifts a ReLU
#: network's output (the mean of relu(x + noise) is not relu(x)), a bias a class decision survives
#: but a predicted number does not. Measured on R's diamonds (price; init's config, early stopping):
#: test RMSE 714 with dropout (best epoch 1, the bias growing after it), 551-559 without (two
#: seeds; the runs' HistGradientBoosting 542); with a log target the bias multiplies (1,011).
NO_DROPOUT = "no dropout: it shifts predicted numbers at inference (diamonds: test RMSE 714 with it, 551-559 without)"
DROPOUT = 0.1


def table_layers(numbers: bool) -> list[str]:
    """The MLP's hidden layers: two of 256 units, each followed by dropout for classes."""
    dense = "{type: dense, units: 256, activation: relu}"
    if numbers:
        return [dense, f"{dense}   # {NO_DROPOUT}"]
    return [dense, f"{{type: dropout, rate: {DROPOUT}}}"] * 2


def table_batch(rows: int) -> int:
    """The batch size for a table of `rows` rows: a power of two from MIN_BATCH, doubled while an
    epoch of the training split (70% of the rows) would take over STEPS_PER_EPOCH batches."""
    batch, train = MIN_BATCH, 0.7 * rows
    while batch < MAX_BATCH and train / batch > STEPS_PER_EPOCH:
        batch *= 2
    return batch


def train_lines() -> list[str]:
    """The `train:` section of a table's config."""
    return [
        "train:",
        f"  epochs: {EPOCHS}   # at most: early stopping ends it",
        "  optimizer: {type: adamw, learning_rate: 0.001, weight_decay: 1.0e-5}",
        "  # loss and metrics: the task's own (`dlkit validate CONFIG` shows them resolved)",
        "  callbacks:",
        f"    - {{type: reduce_lr_on_plateau, monitor: val_loss, factor: 0.5, patience: {PLATEAU}}}",
        f"    - {{type: early_stopping, monitor: val_loss, patience: {PATIENCE}, restore_best_weights: true}}",
    ]


#: The numeric columns' encodings `--tune` chooses among (`data.options.numeric_encoding`).
ENCODINGS = ("standardize", "piecewise_linear", "periodic")


def trials_for(rows: int) -> int:
    """The trial budget `--tune` writes: each trial is a whole training, so fewer on larger tables."""
    return 30 if rows <= 5_000 else 20 if rows <= 50_000 else 12


def tune_lines(rows: int, numbers: bool) -> list[str]:
    """The `tune:` section `dlkit init --tune` writes for a table of `rows` rows: the rate, weight
    decay, widths (and dropout, for classes), batch size around the defaults above and how numeric
    columns are encoded (standardised, or the embeddings of Gorishniy et al. 2022, which tune it
    too), sampled by TPE, hopeless trials pruned after a few epochs."""
    batch = table_batch(rows)
    batches = sorted({max(MIN_BATCH, batch // 2), batch, min(MAX_BATCH * 2, batch * 2)})
    second = 1 if numbers else 2  # the second dense layer's index (after a dropout for classes)
    lines = [
        "tune:   # dlkit tune CONFIG; then dlkit train RUNS/<study>/best.yaml",
        "  metric: val_loss",
        f"  trials: {trials_for(rows)}   # each a whole training; more trials, better odds",
        "  sampler: tpe",
        "  pruner: {type: median, warmup_epochs: 5}",
        "  space:",
        "    train.optimizer.learning_rate: {type: float, low: 3.0e-4, high: 3.0e-3, log: true}",
        "    train.optimizer.weight_decay: {type: float, low: 1.0e-6, high: 1.0e-3, log: true}",
        "    model.layers.0.units: {type: categorical, choices: [128, 256, 512]}",
        f"    model.layers.{second}.units: {{type: categorical, choices: [128, 256, 512]}}",
    ]
    if not numbers:
        lines += [f"    model.layers.{i}.rate: {{type: float, low: 0.0, high: 0.3}}" for i in (1, 3)]
    return [
        *lines,
        f"    data.batch_size: {{type: categorical, choices: {batches}}}",
        f"    data.options.numeric_encoding: {{type: categorical, choices: [{', '.join(ENCODINGS)}]}}",
    ]
