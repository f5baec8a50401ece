"""Keras's word-index datasets, imdb reviews and reuters newswires: sequences of word indices, encoded
as `keras.datasets` encodes them, read from a local copy, the Keras cache or a download."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, NonNegativeInt, PositiveInt

from dlkit.core.registries import DATASETS
from dlkit.data.dataset import Arrays, DatasetInfo
from dlkit.data.keras_datasets import KerasDataset, labels_1d
from dlkit.data.keras_files import paired, read_npz

if TYPE_CHECKING:
    import numpy as np


class _WordSequences(KerasDataset):
    """Reviews or newswires as word indices (most frequent word = lowest index), encoded as Keras does."""

    num_words: PositiveInt | None = None
    """Word indices from this one up (the rarer words) become `oov_char`; None keeps every word."""
    skip_top: NonNegativeInt = 0
    """Word indices below this one (the most frequent words) become `oov_char` too."""
    sequence_length: PositiveInt = 200
    """Each sequence is cut or zero-padded to this many indices, keeping its end (as keras.utils.pad_sequences
    does), so x is (N, sequence_length) int32. Keras's `maxlen` drops longer sequences instead; none is dropped."""
    seed: int = Field(113, ge=0, lt=2**32)
    """Seed of the shuffle Keras applies when loading (113 as in Keras)."""
    start_char: NonNegativeInt | None = 1
    """Index marking the start of each sequence; None for no mark."""
    oov_char: NonNegativeInt | None = 2
    """Index standing for a word cut by `num_words` or `skip_top`; None drops such words."""
    index_from: NonNegativeInt = 3
    """Word indices are shifted up by this, leaving the lower ones to padding (0), start and oov."""

    def keras_args(self) -> dict[str, Any]:
        names = ("num_words", "skip_top", "seed", "start_char", "oov_char", "index_from")
        return {name: getattr(self, name) for name in names}

    def encode(self, sequences: list) -> list[list[int]]:
        """Keras's encoding, so a local copy gives what the download gives."""
        start = [] if self.start_char is None else [self.start_char]
        sequences = [start + [w + self.index_from for w in s] for s in sequences]
        num_words = self.num_words or max((max(s) for s in sequences if s), default=0)
        if self.oov_char is None:
            return [[w for w in s if self.skip_top <= w < num_words] for s in sequences]
        return [[w if self.skip_top <= w < num_words else self.oov_char for w in s] for s in sequences]

    def pad(self, sequences) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(sequences), self.sequence_length), "int32")
        for row, sequence in zip(out, sequences, strict=True):
            kept = list(sequence)[-self.sequence_length :]
            if kept:
                row[-len(kept) :] = kept
        return out

    def arrays(self, train: tuple, test: tuple) -> Arrays:
        (x_train, y_train), (x_test, y_test) = train, test
        has_test = len(x_test) > 0  # reuters' test_split may be 0: then dlkit's data.split.test applies
        return Arrays(
            self.pad(x_train),
            labels_1d(y_train),
            self.pad(x_test) if has_test else None,
            labels_1d(y_test) if has_test else None,
            self.info().class_names,
            kind="array",
        )


@DATASETS.register()
class Imdb(_WordSequences):
    """IMDB reviews: 25,000 + 25,000 (sequence_length,) int32 word indices, 2 classes (Keras download or options.path)

    A local copy is Keras's imdb.npz: x_train, x_test ragged lists of word indices, y_train, y_test 0/1."""

    cached: ClassVar = ("imdb.npz",)
    local_copy: ClassVar = "imdb.npz"

    def read(self, source: Path) -> tuple[tuple, tuple]:
        import numpy as np

        a = read_npz(source, ("x_train", "y_train", "x_test", "y_test"), self.max_bytes)
        paired(source, a["x_train"], a["y_train"])
        paired(source, a["x_test"], a["y_test"])
        rng = np.random.RandomState(self.seed)
        train, test = (rng.permutation(len(a[f"x_{s}"])) for s in ("train", "test"))
        xs = self.encode([*a["x_train"][train], *a["x_test"][test]])
        return (xs[: len(train)], a["y_train"][train]), (xs[len(train) :], a["y_test"][test])

    def info(self) -> DatasetInfo:
        return DatasetInfo((self.sequence_length,), ["negative", "positive"], "array")


@DATASETS.register()
class Reuters(_WordSequences):
    """Reuters newswires: 11,228 (sequence_length,) int32 word indices, 46 topics (Keras download or options.path)

    A local copy is Keras's reuters.npz: x, ragged lists of word indices, and y, topics 0-45."""

    test_split: float = Field(0.2, ge=0, lt=1)
    """Fraction kept as the test split, after Keras's shuffle; 0 leaves it to data.split.test."""

    cached: ClassVar = ("reuters.npz",)
    local_copy: ClassVar = "reuters.npz"

    def keras_args(self) -> dict[str, Any]:
        return {**super().keras_args(), "test_split": self.test_split}

    def read(self, source: Path) -> tuple[tuple, tuple]:
        import numpy as np

        a = read_npz(source, ("x", "y"), self.max_bytes)
        paired(source, a["x"], a["y"])
        order = np.random.RandomState(self.seed).permutation(len(a["x"]))
        xs, ys = self.encode(list(a["x"][order])), a["y"][order]
        cut = int(len(xs) * (1 - self.test_split))
        return (xs[:cut], ys[:cut]), (xs[cut:], ys[cut:])

    def info(self) -> DatasetInfo:
        return DatasetInfo((self.sequence_length,), [str(t) for t in range(46)], "array")
