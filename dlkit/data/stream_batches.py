"""A streamed table's rows (`dlkit.data.stream.StreamedRows`) as tf.data batches: one Python step
per chunk, never per row. Shuffled, each pass reads the files in an order drawn from the seed and
the epoch and permutes the rows within windows of `WINDOW_ROWS` (a bounded buffer, not the whole
file), so a run is reproducible and a resumed one sees the order an uninterrupted one would."""

from __future__ import annotations

import math

#: Rows shuffled together in a training pass (whole chunks, cut into batches).
WINDOW_ROWS = 200_000


def batches(rows, y, batch_size: int, shuffle: bool, seed: int, epoch=None, skip: int = 0, one_hot=None):
    """(columns, labels) batches of `rows` and their labels `y` (in the rows' order), every batch
    full but the last, the count known to Keras; `skip` leaves out the first batches of each pass."""
    import numpy as np
    import tensorflow as tf

    from dlkit.data.pipeline import untuned

    y = np.asarray(y)
    numeric = [name for name, kind in rows.source.columns.items() if kind == "numeric"]
    text = [name for name, kind in rows.source.columns.items() if kind != "numeric"]
    signature = (
        tf.TensorSpec((None, len(numeric)), tf.float32),
        tf.TensorSpec((None, len(text)), tf.string),
        tf.TensorSpec((None, *y.shape[1:]), tf.as_dtype(y.dtype)),
    )
    passes = [-1]

    def generate():  # a batch's columns as two matrices: a tensor each costs a conversion out of Python
        passes[0] += 1
        key = int(epoch.numpy()) if epoch is not None else passes[0]
        rng = np.random.default_rng([seed, key]) if shuffle else None
        for x, labels in cut(rows, y, batch_size, rng):
            yield _matrix(x, numeric, "float32"), _matrix(x, text, object), labels

    def columns(numbers, texts, labels):
        x = {name: numbers[:, i] for i, name in enumerate(numeric)} | {name: texts[:, i] for i, name in enumerate(text)}
        return x, labels if one_hot is None else tf.one_hot(labels, one_hot)

    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    ds = ds.apply(tf.data.experimental.assert_cardinality(math.ceil(len(y) / batch_size))).skip(skip)
    return ds.map(columns).with_options(untuned()).prefetch(2)


def _matrix(x: dict, names: list[str], dtype):
    import numpy as np

    count = len(next(iter(x.values())))
    return np.stack([x[name] for name in names], axis=1).astype(dtype) if names else np.zeros((count, 0), dtype)


def cut(rows, y, batch_size: int, rng=None):
    """The rows in batches, read chunk by chunk; with `rng`, files in a drawn order and rows
    permuted within windows of `WINDOW_ROWS`."""
    from dlkit.data.examples import count

    order = None if rng is None else rng.permutation(len(rows.source.files))
    window, held, carry = [], 0, None
    for x, position in rows.pieces(order):
        n = count(x)
        window.append((x, y[position : position + n]))
        held += n
        if held >= WINDOW_ROWS:
            carry = yield from _emit(window, carry, batch_size, rng)
            window, held = [], 0
    carry = yield from _emit(window, carry, batch_size, rng)
    if carry is not None and len(carry[1]):
        yield carry


def _emit(pieces: list, carry, batch_size: int, rng):
    """Full batches of `carry` and `pieces` together (permuted with `rng`); returns what is left."""
    import numpy as np

    from dlkit.data.examples import concatenate, take

    pieces = ([carry] if carry is not None else []) + pieces
    if not pieces:
        return None
    x, y = concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])
    if rng is not None:
        order = rng.permutation(len(y))
        x, y = take(x, order), y[order]
    full = len(y) - len(y) % batch_size
    for start in range(0, full, batch_size):
        yield take(x, slice(start, start + batch_size)), y[start : start + batch_size]
    return take(x, slice(full, None)), y[full:]
