"""The dataset interface: a registered `Dataset` spec whose fields are `data.options`."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from dlkit.registry import Registry, Spec

DATASETS = Registry("dataset", "datasets")


@dataclasses.dataclass
class Arrays:
    """What a loader delivers: training arrays, the dataset's own test split if it has one, and
    the class names for classification. Images are uint8 (N, H, W, C), as in an image file."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: list[str] | None = None
    #: `image` (uint8 H, W, C; predict takes image files) or `array` (any numeric shape).
    kind: str = "image"
    #: For `array` data of shape (N, F): the name of each feature, as CSV columns for predict.
    feature_names: list[str] | None = None

    def fingerprint(self) -> str:
        """A content hash, so a run records exactly which data it saw."""
        import numpy as np

        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            if array is not None:
                digest.update(f"{array.dtype}{array.shape}".encode())
                digest.update(np.ascontiguousarray(array).data)
        return "sha256:" + digest.hexdigest()


@dataclasses.dataclass
class DatasetInfo:
    """What `dlkit validate --dry-run` needs to build the model, known without the data itself."""

    shape: tuple[int, ...]
    class_names: list[str] | None


class Dataset(Spec):
    """A named dataset; its fields are the loader's options (`data.options`)."""

    def load(self) -> Arrays:
        raise NotImplementedError

    def info(self) -> DatasetInfo:
        """Loaders whose data must be downloaded override this with the known shape."""
        arrays = self.load()
        return DatasetInfo(tuple(arrays.x_train.shape[1:]), arrays.class_names)
