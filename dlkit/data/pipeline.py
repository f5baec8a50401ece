"""Splits as tf.data pipelines: seeded reshuffling, whole-batch gathers for data in memory,
parallel decoding for data streamed from disk, prefetch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
    epoch=None,
):
    """Batches of (x, y); `one_hot` encodes integer labels with that depth.

    Shuffled, each pass is ordered by the seed and `epoch` (a tf.Variable the trainer sets at each
    epoch's start; without it, the pass count), so a resumed run sees the order an uninterrupted
    one would.

    In memory, shuffling permutes indices and gathers whole batches, much cheaper than shuffling
    single examples. Streamed data (`decode`: path -> example) is decoded in parallel each epoch,
    or with `cache` once, up front, and then kept in memory."""
    import tensorflow as tf

    def labels(y):
        return tf.one_hot(y, one_hot) if one_hot is not None else y

    if decode is not None and cache:
        examples = tf.data.Dataset.from_tensor_slices(split.x).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        split, decode = Split(np.stack(list(examples.as_numpy_iterator())), split.y), None

    indices = _order(len(split), seed, epoch) if shuffle else tf.data.Dataset.range(len(split))
    if decode is not None:  # paths in the epoch's order, decoded in parallel
        paths, y = tf.constant(split.x), tf.constant(split.y)
        ds = indices.map(lambda i: (decode(tf.gather(paths, i)), tf.gather(y, i)), num_parallel_calls=tf.data.AUTOTUNE)
        ds = ds.batch(batch_size).map(lambda x, y: (x, labels(y)), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE)

    x = tf.nest.map_structure(tf.constant, split.x)
    y = tf.constant(split.y)

    def gather(i):
        return tf.nest.map_structure(lambda column: tf.gather(column, i), x), labels(tf.gather(y, i))

    return indices.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _order(n: int, seed: int, epoch):
    """The indices 0..n-1 in the order of the current pass: a stateless shuffle keyed by the seed
    and the epoch variable (or a counter of passes)."""
    import tensorflow as tf

    counter = epoch if epoch is not None else tf.Variable(-1, dtype=tf.int64, trainable=False)

    def permutation(_):
        key = counter.read_value() if epoch is not None else counter.assign_add(1)
        seeds = tf.stack([tf.constant(seed, tf.int64), tf.cast(key, tf.int64)])
        return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=seeds)

    return tf.data.Dataset.from_tensors(0).map(permutation).unbatch()
