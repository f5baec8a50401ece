"""scikit-learn's bundled handwritten digits: 1,797 8x8 grayscale images, 10 classes, no network."""

from __future__ import annotations

from dlkit.core.registries import DATASETS
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.peek import Peek


@DATASETS.register()
class Digits(Dataset):
    """8x8 grayscale handwritten digits from scikit-learn (1,797 images, 10 classes), as uint8 0-255."""

    def load(self) -> Arrays:
        import numpy as np
        from sklearn.datasets import load_digits

        bunch = load_digits()
        # sklearn stores 0-16 intensities; scale to 0-255 so a PNG and the data mean the same.
        images = np.round(bunch.images * (255.0 / 16.0)).astype("uint8")[..., None]
        return Arrays(
            x_train=images,
            y_train=bunch.target.astype("int64"),
            class_names=[str(c) for c in bunch.target_names],
        )

    def info(self) -> DatasetInfo:
        return DatasetInfo((8, 8, 1), [str(d) for d in range(10)])

    def peek(self, classes: bool = True) -> Peek:
        return Peek(self.type_name, self.info().class_names)
