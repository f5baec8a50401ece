"""Splits as Keras PyDatasets, for an install without TensorFlow: the batches `dlkit.data.pipeline`
makes with tf.data where TensorFlow is installed, by the same contract (batch i of a pass, the
first `skip` left out, shuffled per epoch by the seed and the epoch, labels one-hot, files decoded),
in numpy. Imports Keras: load it lazily."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dlkit.core.backend import keras
from dlkit.data.examples import take
from dlkit.data.splits import Split

#: Threads decoding a streamed split's files (Pillow's decoders release the GIL).
DECODING_WORKERS = min(4, os.cpu_count() or 1)


def decode_files(paths, decode) -> np.ndarray:
    """Files decoded by `decode.pixels` (an `ImageDecoder`) in threads, each into its place in one
    uint8 array, in order."""
    pixels = np.empty((len(paths), *decode.shape), "uint8")

    def put(i: int) -> None:
        pixels[i] = decode.pixels(paths[i])

    with ThreadPoolExecutor(DECODING_WORKERS) as pool:
        list(pool.map(put, range(len(paths))))
    return pixels


class Epoch:
    """The epoch a fit is in, set as each begins (`assign`, as on the tf.Variable of tf.data's
    pipelines): the shuffle of each pass is keyed by it."""

    def __init__(self, value: int = 0):
        self.value = int(value)

    def assign(self, value) -> None:
        self.value = int(value)


def permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the examples 0..n-1 in epoch `epoch`: one stateless draw keyed by (seed, epoch),
    so a resumed run sees the order an uninterrupted one would."""
    return np.random.default_rng([seed, epoch]).permutation(n)


class SplitBatches(keras().utils.PyDataset):
    """A split's batches of (x, y): `x` an array, a dict of column arrays, or file paths that
    `decode` (`dlkit.data.images.ImageDecoder`) turns into pixels. Shuffled, each pass is in the
    order of `permutation` for the epoch `epoch` (an `Epoch` the trainer sets) holds then; without
    one, in the seed's order."""

    def __init__(
        self, split: Split, *, batch_size: int, shuffle: bool, seed: int, one_hot=None, decode=None, epoch=None,
        skip: int = 0,
    ):  # fmt: skip
        # One worker: Keras's threaded enqueuer keeps the batches it prefetched when a pass stops
        # early (its symbolic build draws one) and serves them first in the next pass, out of order.
        super().__init__(workers=1)
        self.split, self.batch_size, self.seed, self.decode = split, batch_size, seed, decode
        self.shuffle, self.one_hot, self.epoch, self.skip = shuffle, one_hot, epoch, skip
        self.count = split.batch_count(batch_size)
        self._order: tuple[int, np.ndarray] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.count - self.skip

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        start = (index + self.skip) * self.batch_size
        stop = start + self.batch_size
        rows = self._order_of_pass()[start:stop] if self.shuffle else slice(start, stop)
        x, y = take(self.split.x, rows), self.split.y[rows]
        if self.decode is not None:
            x = decode_files(x, self.decode)
        if self.one_hot is not None:  # as tf.one_hot: float32 rows, one per label
            y = np.eye(self.one_hot, dtype="float32")[y]
        return x, y

    def _order_of_pass(self) -> np.ndarray:
        """The example indices of the current pass, in order."""
        epoch = self.epoch.value if self.epoch is not None else 0
        with self._lock:  # batches are made in worker threads
            if self._order is None or self._order[0] != epoch:
                self._order = epoch, permutation(len(self.split), self.seed, epoch)
            return self._order[1]
