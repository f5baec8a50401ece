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

import json
import os

from dlkit.backend import keras
from dlkit.errors import UsageError
from dlkit.training.trainer import OneTraining, Session

#: Seconds a collective (an all-reduce) may wait for the other workers before the run fails,
#: rather than hang for ever on a worker that died or never came.
COLLECTIVE_TIMEOUT = float(os.environ.get("DLKIT_COLLECTIVE_TIMEOUT", "120"))

_STRATEGY = []


def worker_strategy():
    """The process's MultiWorkerMirroredStrategy over the cluster of `TF_CONFIG`, made once (it
    must be made before TensorFlow runs any op)."""
    if not _STRATEGY:
        if "TF_CONFIG" not in os.environ:
            raise UsageError(
                "train.distribute.strategy: multi_worker needs a cluster: dlkit train CONFIG --local-workers N, "
                "or --cluster host:port,... --task-index I, or TF_CONFIG set (docs/distributed.md)"
            )
        keras()
        import tensorflow as tf

        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=COLLECTIVE_TIMEOUT)
        _STRATEGY.append(tf.distribute.MultiWorkerMirroredStrategy(communication_options=options))
        if os.environ.get("DLKIT_JOINED"):  # the cluster gathered: tell `--cluster`'s watchdog
            open(os.environ["DLKIT_JOINED"], "w").close()
    return _STRATEGY[0]


def task_of_this_worker() -> tuple[str, int]:
    """(`worker`/`chief`, index) of this process in `TF_CONFIG`."""
    task = json.loads(os.environ["TF_CONFIG"]).get("task", {})
    return task.get("type", "worker"), int(task.get("index", 0))


class MultiWorkerSession(Session):
    """A standard session whose epochs run in the loop above."""

    def fit_epochs(self, ds, val_ds, first: int, last: int, training: OneTraining) -> None:
        import tensorflow as tf

        model, strategy = self.model, self.strategy
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

        model.stop_training = False
        for epoch in range(first, last):
            model.reset_metrics()
            training.on_epoch_begin(epoch)  # sets the epoch the batches are shuffled for
            for batch, data in enumerate(train):
                training.on_train_batch_begin(batch)
                train_step(data)
                training.on_train_batch_end(batch, self._figures())
                if model.stop_training:
                    break
            logs = self._figures()
            if val is not None and not model.stop_training:
                model.reset_metrics()
                for data in val:
                    test_step(data)
                logs |= {f"val_{name}": value for name, value in self._figures().items()}
            training.on_epoch_end(epoch, logs)
            if model.stop_training:
                break

    def _figures(self) -> dict[str, float]:
        """The running loss and metrics, summed over every worker's replicas (a collective: every
        worker reads them at the same point)."""
        return {name: float(value) for name, value in self.model.get_metrics_result().items()}
