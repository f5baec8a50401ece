"""What `dlkit init` writes to train a table, chosen by measurement (docs/tables.md): an MLP of two
256-unit layers with a little dropout, AdamW, the batch grown with the rows, the rate halved when
validation stalls and patience enough not to stop at the first plateau; and, with `--tune`, a
search space and a trial budget for a table of that size. Plain Python, like the rest of init."""

from __future__ import annotations

#: Batches per epoch the batch size is grown to stay near: fewer, larger batches on a large table
#: (diamonds' 37,758 training rows: 128 a batch), never over MAX_BATCH.
STEPS_PER_EPOCH = 400
MIN_BATCH, MAX_BATCH = 32, 512

#: Epochs at most, the rate halved after PLATEAU epochs without a better val_loss, training stopped
#: after PATIENCE (the best epoch's weights kept). Patience 5 stopped diamonds at epoch 6 with the
#: best at epoch 1.
EPOCHS, PLATEAU, PATIENCE = 200, 4, 12

LAYERS = [
    "{type: dense, units: 256, activation: relu}",
    "{type: dropout, rate: 0.1}",
    "{type: dense, units: 256, activation: relu}",
    "{type: dropout, rate: 0.1}",
]


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


def trials_for(rows: int) -> int:
    """The trial budget `--tune` writes: each trial is a whole training, so fewer on larger tables."""
    return 30 if rows <= 5_000 else 20 if rows <= 50_000 else 12


def tune_lines(rows: int) -> list[str]:
    """The `tune:` section `dlkit init --tune` writes for a table of `rows` rows: the rate, weight
    decay, width, dropout and batch size around the defaults above, sampled by TPE, hopeless
    trials pruned after a few epochs."""
    batch = table_batch(rows)
    batches = sorted({max(MIN_BATCH, batch // 2), batch, min(MAX_BATCH * 2, batch * 2)})
    return [
        "tune:   # dlkit tune CONFIG; then dlkit train RUNS/<study>/best.yaml",
        "  metric: val_loss",
        f"  trials: {trials_for(rows)}   # each a whole training; more trials, better odds",
        "  sampler: tpe",
        "  pruner: {type: median, warmup_epochs: 5}",
        "  space:",
        "    train.optimizer.learning_rate: {type: float, low: 3.0e-4, high: 3.0e-3, log: true}",
        "    train.optimizer.weight_decay: {type: float, low: 1.0e-6, high: 1.0e-3, log: true}",
        "    model.layers.0.units: {type: categorical, choices: [128, 256, 512]}",
        "    model.layers.2.units: {type: categorical, choices: [128, 256, 512]}",
        "    model.layers.1.rate: {type: float, low: 0.0, high: 0.3}",
        "    model.layers.3.rate: {type: float, low: 0.0, high: 0.3}",
        f"    data.batch_size: {{type: categorical, choices: {batches}}}",
    ]
