"""Splits as tf.data pipelines: seeded reshuffling, whole-batch gathers for data in memory,
parallel decoding for data streamed from disk, prefetch. Where TensorFlow is not installed, the
same batches come from Keras PyDatasets (`dlkit.data.batches`); the functions here choose."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from dlkit.core.backend import has_tensorflow
from dlkit.data.fingerprint import array_entry, keep_array, recall_array
from dlkit.data.images import ImageDecoder
from dlkit.data.splits import Split, Splits

if TYPE_CHECKING:
    from dlkit.data.prepared import PreparedData


def to_dataset(
    split: Split,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int,
    one_hot: int | None = None,
    decode: Callable | None = None,
    epoch=None,
    skip: int = 0,
    augment: Callable | None = None,
):
    """Batches of (x, y); `one_hot` encodes integer labels with that depth; `skip` leaves out the
    first batches of each pass (the rest of an epoch a resumed run stopped inside); `augment`
    (x, y, seed) -> (x, y) transforms each batch, seeded by the seed, the epoch and the batch.
    Shuffled, each pass is ordered by the seed and `epoch` (a tf.Variable the trainer sets at each
    epoch's start; else the pass count), so a resumed run sees the order an uninterrupted one would.
    In memory, shuffling permutes indices and gathers whole batches, much cheaper than shuffling
    single examples. Files (`decode`: path -> example) are decoded in parallel each pass
    (`in_memory` decodes them once instead); a streamed table's rows read from its files.
    Without TensorFlow, a `dlkit.data.batches.SplitBatches` (`epoch` an `Epoch`): the same
    batches, but another shuffle (numpy's, not tf.random's), and no `augment` (refused before)."""
    if not has_tensorflow():
        from dlkit.data.batches import SplitBatches

        kept = dict(batch_size=batch_size, shuffle=shuffle, seed=seed, one_hot=one_hot, decode=decode, epoch=epoch)
        return SplitBatches(split, skip=skip, **kept)
    import tensorflow as tf

    if hasattr(split.x, "dataset"):  # `dlkit.data.stream.StreamedRows`
        return split.x.dataset(split.y, **dict(batch_size=batch_size, shuffle=shuffle, seed=seed), epoch=epoch,
                               skip=skip, one_hot=one_hot)  # fmt: skip

    def labels(y):
        return tf.one_hot(y, one_hot) if one_hot is not None else y

    if shuffle:
        batches = _order(split, batch_size, seed, epoch)
    else:
        batches = tf.data.Dataset.range(len(split)).batch(batch_size)
    batches = batches.skip(skip)  # indices only: the batches left out are never gathered or decoded
    if decode is not None:  # paths in the epoch's order, decoded in parallel
        paths, y = tf.constant(split.x), tf.constant(split.y)
        ds = batches.unbatch().map(
            lambda i: (decode(tf.gather(paths, i)), tf.gather(y, i)), num_parallel_calls=tf.data.AUTOTUNE
        )
        count = split.batch_count(batch_size) - skip
        ds = ds.batch(batch_size).apply(tf.data.experimental.assert_cardinality(count))
        ds = _augmented(ds, augment, seed, epoch, skip)
        if one_hot is not None:
            ds = ds.map(lambda x, y: (x, labels(y)), num_parallel_calls=tf.data.AUTOTUNE)
        return ds.with_options(untuned()).prefetch(tf.data.AUTOTUNE)

    ds = _gathered(split, batches, labels)
    return _augmented(ds, augment, seed, epoch, skip).prefetch(tf.data.AUTOTUNE)


def _gathered(split: Split, batches, labels: Callable):
    """The examples and labels (through `labels`) of each batch of indices, gathered from memory."""
    import tensorflow as tf

    # As Keras does for arrays: the data enter as one dataset element zipped with each batch's
    # indices rather than as constants captured by the map function, and tf.data's default graph
    # rewrites are off; both would copy the arrays again for every pass.
    data = tf.data.Dataset.from_tensors((split.x, split.y)).repeat()

    def gather(i, data):
        x, y = data
        return tf.nest.map_structure(lambda column: tf.gather(column, i), x), labels(tf.gather(y, i))

    options = untuned()
    options.experimental_optimization.apply_default_optimizations = False
    return tf.data.Dataset.zip((batches, data)).map(gather, num_parallel_calls=tf.data.AUTOTUNE).with_options(options)


def epoch_variable(start: int):
    """What `to_dataset` keys each epoch's shuffle by, holding `start`; the trainer assigns each
    epoch's number as it begins: a tf.Variable (read inside the tf.data pipeline), or an `Epoch`."""
    if not has_tensorflow():
        from dlkit.data.batches import Epoch

        return Epoch(start)
    import tensorflow as tf

    return tf.Variable(start, dtype=tf.int64, trainable=False)


def batch_count(batches) -> int:
    """How many batches `to_dataset`'s `batches` give in a pass."""
    return int(batches.cardinality()) if hasattr(batches, "cardinality") else len(batches)


def numpy_batches(batches):
    """The (x, y) batches of `to_dataset`'s `batches` as numpy, in order (one pass)."""
    if hasattr(batches, "as_numpy_iterator"):
        return batches.as_numpy_iterator()
    return (batches[i] for i in range(len(batches)))


def first_batch(batches):
    """What a batch of `batches` holds, for Keras's symbolic build: a tf.data pipeline's element
    spec, a PyDataset's first batch."""
    return batches.element_spec if hasattr(batches, "element_spec") else batches[0]


def in_memory(data: PreparedData) -> PreparedData:
    """`data.cache`: every split of streamed data decoded once, up front, into uint8 arrays kept in
    memory (and on disk for the next run: `decoded`); training, validation and the scoring after
    it then never read the files again."""
    decode = data.about.decode
    if decode is None:
        return data

    def split(part: Split | None) -> Split | None:
        return None if part is None else dataclasses.replace(part, x=decoded(part.x, decode))

    splits = Splits(split(data.splits.train), split(data.splits.val), split(data.splits.test))
    return dataclasses.replace(data, splits=splits, about=dataclasses.replace(data.about, decode=None))


def decoded(paths: np.ndarray, decode: Callable) -> np.ndarray:
    """Files decoded in parallel into one array, in order, and kept in dlkit's cache: the next run
    on these very files (paths, sizes, modification times, in this order), decoded alike, reads
    the array back instead (`dlkit.data.fingerprint.keep_array`, within its disk budget). Kept only
    for an ImageDecoder, whose repr is its settings."""
    if not isinstance(decode, ImageDecoder):
        return _decoded(paths, decode)
    key = f"{decode!r} decoded by {'tensorflow' if has_tensorflow() else 'pillow'}"
    entry = array_entry("decoded", key, list(paths))
    kept = recall_array(entry, (len(paths), *decode.shape), np.uint8)
    if kept is None:
        kept = _decoded(paths, decode)
        keep_array(entry, kept)
    return kept


def _decoded(paths: np.ndarray, decode: Callable) -> np.ndarray:
    """`decoded` without the cache: batched (one Python step per batch), each batch copied into its
    place (no list of batches joined at the end: half the peak memory). Without TensorFlow,
    `dlkit.data.batches.decode_files`."""
    if not has_tensorflow():
        from dlkit.data.batches import decode_files

        return decode_files(paths, decode)
    import tensorflow as tf

    examples = tf.data.Dataset.from_tensor_slices(paths).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    examples = examples.with_options(untuned())
    spec = examples.element_spec
    pixels = np.empty((len(paths), *spec.shape), spec.dtype.as_numpy_dtype)
    start = 0
    for batch in examples.batch(256).prefetch(tf.data.AUTOTUNE).as_numpy_iterator():
        pixels[start : start + len(batch)] = batch
        start += len(batch)
    return pixels


def untuned():
    """tf.data options with its autotuning model off: parallel maps asked for AUTOTUNE run as many
    calls at once as there are cores (16 at most), and prefetch buffers still grow on their own.
    Tuned, each iterator runs a tuning thread that its destruction waits for, and Keras replaces
    the iterators at each epoch's end: the fit of a 20,000-image folder stalled 0.06 to 4.3 s at
    its end in 3 of 6 runs, and never in 6 runs without (the same throughput, measured)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def _augmented(ds, augment, seed: int, epoch, skip: int):
    """Batches through `augment`, batch i of epoch e drawing from the seed and (e, i): a resumed run
    draws what an uninterrupted one would have."""
    if augment is None:
        return ds
    import tensorflow as tf

    def apply(i, batch):
        key = (epoch.read_value() if epoch is not None else tf.constant(0, tf.int64)) * 1_000_003 + i + skip
        return augment(*batch, tf.stack([tf.constant(seed, tf.int64), key]))

    return ds.enumerate().map(apply, num_parallel_calls=tf.data.AUTOTUNE)


def _order(split: Split, batch_size: int, seed: int, epoch):
    """Batches of the split's indices in the order of the current pass: a stateless shuffle keyed
    by the seed and the epoch variable (or a counter of passes), cut into batches. (The PyDataset
    path shuffles with numpy, keyed alike: TensorFlow's stateless shuffle has no numpy twin, and
    another order here would change every TensorFlow run, and resume a stopped one out of order.)"""
    import tensorflow as tf

    n = len(split)
    counter = epoch if epoch is not None else tf.Variable(-1, dtype=tf.int64, trainable=False)

    def permutation(_):
        key = counter.read_value() if epoch is not None else counter.assign_add(1)
        seeds = tf.stack([tf.constant(seed, tf.int64), tf.cast(key, tf.int64)])
        return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=seeds)

    starts = tf.data.Dataset.range(0, n, batch_size)
    batches = (
        tf.data.Dataset.from_tensors(0)
        .map(permutation)
        .flat_map(lambda order: starts.map(lambda start: order[start : start + batch_size]))
    )
    # Keras runs the last steps_per_execution chunk of an epoch in full only when it knows the count.
    return batches.apply(tf.data.experimental.assert_cardinality(split.batch_count(batch_size)))
