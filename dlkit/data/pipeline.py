"""In-memory splits as tf.data pipelines: seeded reshuffling, whole-batch gathers, prefetch."""

from __future__ import annotations

from dlkit.data.splits import Split


def to_dataset(split: Split, *, batch_size: int, shuffle: bool, seed: int, one_hot: int | None = None):
    """Batches of (x, y). Shuffling permutes indices and gathers whole batches, which is much
    cheaper than shuffling single examples; `one_hot` encodes integer labels with that depth."""
    import tensorflow as tf

    x, y = tf.constant(split.x), tf.constant(split.y)
    indices = tf.data.Dataset.range(len(split))
    if shuffle:
        indices = indices.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)

    def gather(i):
        labels = tf.gather(y, i)
        if one_hot is not None:
            labels = tf.one_hot(labels, one_hot)
        return tf.gather(x, i), labels

    return indices.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
