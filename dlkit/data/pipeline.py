"""Splits as tf.data pipelines: seeded reshuffling, whole-batch gathers for data in memory,
parallel decoding for data streamed from disk, prefetch."""

from __future__ import annotations

from collections.abc import Callable

from dlkit.data.splits import Split


def to_dataset(
    split: Split,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    one_hot: int | None = None,
    decode: Callable | None = None,
    cache: bool = False,
):
    """Batches of (x, y); `one_hot` encodes integer labels with that depth.

    In memory, shuffling permutes indices and gathers whole batches, much cheaper than shuffling
    single examples. Streamed data (`decode`: path -> example) is decoded in parallel, and with
    `cache` kept in memory after the first epoch."""
    import tensorflow as tf

    def labels(y):
        return tf.one_hot(y, one_hot) if one_hot is not None else y

    if decode is not None:
        ds = tf.data.Dataset.from_tensor_slices((split.x, split.y))
        ds = ds.map(lambda x, y: (decode(x), y), num_parallel_calls=tf.data.AUTOTUNE)
        if cache:
            ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(min(len(split), 10_000), seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size).map(lambda x, y: (x, labels(y)), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    x = tf.nest.map_structure(tf.constant, split.x)
    y = tf.constant(split.y)
    indices = tf.data.Dataset.range(len(split))
    if shuffle:
        indices = indices.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)

    def gather(i):
        return tf.nest.map_structure(lambda column: tf.gather(column, i), x), labels(tf.gather(y, i))

    return indices.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
