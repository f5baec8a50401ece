"""The dataset interface: a registered `Dataset` spec whose fields are `data.options`."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

from dlkit.data.peek import Peek
from dlkit.registry import Registry, Spec

DATASETS = Registry("dataset", "datasets")


@dataclasses.dataclass
class Arrays:
    """What a loader delivers: training examples, the dataset's own test split if it has one, and
    the class names for classification. Images are uint8 (N, H, W, C), as in an image file.

    `x` is an array of examples, a dict of column arrays (tables), or an array of file paths
    that `decode` turns into examples one by one while training (data streamed from disk)."""

    x_train: Any
    y_train: np.ndarray
    x_test: Any = None
    y_test: np.ndarray | None = None
    class_names: list[str] | None = None
    #: What predict takes: `image` (image files), `array` (numeric rows: CSV), `table`
    #: (CSV with named columns), `text` (strings).
    kind: str = "image"
    #: For `array` data of shape (N, F): the name of each feature, as CSV columns for predict.
    feature_names: list[str] | None = None
    #: For streamed data: a TensorFlow function from one `x` element (a path) to the example.
    decode: Callable | None = None
    #: The shape of one example, where `x` does not show it (streamed data, strings).
    example_shape: tuple[int, ...] | None = None
    #: Training batches only: a TensorFlow function (x, y, seed) -> (x, y) transforming examples and
    #: labels together (a segmentation mask moved with its image).
    augment: Callable | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.example_shape if self.example_shape is not None else tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        """A content hash, so a run records exactly which data it saw (file contents, for
        streamed data)."""
        digest = hashlib.sha256()
        for part, holds_paths in (
            (self.x_train, True),
            (self.y_train, False),
            (self.x_test, True),
            (self.y_test, False),
        ):
            _digest(digest, part, files=holds_paths and self.decode is not None)
        return "sha256:" + digest.hexdigest()


def _digest(digest, part, *, files: bool) -> None:
    import numpy as np

    if part is None:
        return
    if isinstance(part, dict):
        for name in sorted(part):
            digest.update(name.encode())
            _digest(digest, part[name], files=files)
        return
    array = np.asarray(part)
    digest.update(f"{array.dtype}{array.shape}".encode())
    if files:
        for path in array:
            digest.update(Path(str(path)).read_bytes())
    elif array.dtype.kind in "OUS":
        for item in array.reshape(-1):
            digest.update(str(item).encode() + b"\0")
    else:
        digest.update(np.ascontiguousarray(array).data)


@dataclasses.dataclass
class DatasetInfo:
    """What `dlkit validate --dry-run` needs to build the model, known without the data itself."""

    shape: tuple[int, ...]
    class_names: list[str] | None
    kind: str = "image"


class Dataset(Spec):
    """A named dataset; its fields are the loader's options (`data.options`)."""

    #: Whether `dlkit to-csv` writes it as a table (feature columns and `target`).
    to_csv: ClassVar[bool] = False

    scale_target: bool | None = None
    """Regression: the network learns standardised targets (mean and standard deviation of each
    target column in the training split) and model.keras ends in a fixed layer mapping them back,
    so loss, metrics and predictions are in the target's units. Default (null): true for task
    regression; no other task has a target to scale."""

    def load(self) -> Arrays:
        raise NotImplementedError

    def peek(self, classes: bool = True) -> Peek:
        """What `dlkit validate` can tell in a blink, without loading the data: an `OptionError`
        for a file or column that is not there, and the classes where they are cheap to count
        (`classes=False`: not needed). A loader that knows nothing cheaply keeps this one."""
        return Peek(self.type_name)

    def info(self) -> DatasetInfo:
        """Loaders whose data must be downloaded override this with the known shape."""
        arrays = self.load()
        return DatasetInfo(arrays.shape, arrays.class_names, arrays.kind)

    def model_input(self, shape: tuple[int, ...], x_train: Any = None):
        """The model's input and the tensor the preprocessing steps start from. Datasets whose
        raw examples need encoding inside the model (text, table columns) add the encoders
        here, fitted on `x_train` (None for a dry run)."""
        from dlkit.backend import keras

        inputs = keras().Input(shape=shape, name="input")
        return inputs, inputs
