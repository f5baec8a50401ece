"""`train.distribute: {strategy: multi_worker}`: one replica per process of a cluster
(`tf.distribute.MultiWorkerMirroredStrategy`, the cluster in `TF_CONFIG`).

Keras 3's `fit` fails under this strategy (keras-team/keras#20585: it hands a PerReplica value to
an op), so the epochs run in a loop of dlkit's own: each worker iterates its shard of every batch
(`experimental_distribute_dataset`, sharded by data) and runs Keras's own `train_step` on it in
`strategy.run`. That step divides the loss by the replicas (Keras's `scale_loss_for_distribution`,
what `tf.nn.compute_average_loss` does for equal shards) and its optimizer sums the gradients
across the workers, so every worker applies the update of the whole batch. The callbacks see what
`fit` shows them (the running loss and metrics after each batch, `val_` figures at the epoch's
end), so history, checkpoints, early stopping and resume are those of any run."""

from __future__ import annotations


def fit_epochs(model, strategy, ds, val_ds, first: int, last: int, training) -> None:
    """Train epochs `first` to `last` (excluded) on `ds` under `strategy`, validating on `val_ds`,
    `training` (the session's callbacks) seeing what `fit` would show them."""
    import tensorflow as tf

    options = tf.data.Options()
    # In-memory arrays: each worker takes its slice of every global batch (by file would need files).
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train = strategy.experimental_distribute_dataset(ds.with_options(options))
    val = strategy.experimental_distribute_dataset(val_ds.with_options(options)) if val_ds is not None else None

    @tf.function
    def train_step(batch):
        strategy.run(model.train_step, args=(batch,))

    @tf.function
    def test_step(batch):
        strategy.run(model.test_step, args=(batch,))

    def figures() -> dict[str, float]:
        """The running loss and metrics, summed over every worker's replicas (a collective: every
        worker reads them at the same point)."""
        return {name: float(value) for name, value in model.get_metrics_result().items()}

    model.stop_training = False
    for epoch in range(first, last):
        model.reset_metrics()
        training.on_epoch_begin(epoch)  # sets the epoch the batches are shuffled for
        for batch, data in enumerate(train):
            training.on_train_batch_begin(batch)
            train_step(data)
            training.on_train_batch_end(batch, figures())
            if model.stop_training:
                break
        logs = figures()
        if val is not None and not model.stop_training:
            model.reset_metrics()
            for data in val:
                test_step(data)
            logs |= {f"val_{name}": value for name, value in figures().items()}
        training.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
