"""The dataset interface: a registered `Dataset` spec whose fields are `data.options`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import PrivateAttr

if TYPE_CHECKING:
    import numpy as np

    from dlkit.data.rows import Rows
    from dlkit.data.targets import Target

from dlkit.core.registry import Spec
from dlkit.data.peek import Peek


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
    #: For streamed data: from one `x` element (a path) to the example (`dlkit.data.images.ImageDecoder`).
    decode: Callable | None = None
    #: The shape of one example, where `x` does not show it (streamed data, strings).
    example_shape: tuple[int, ...] | None = None
    #: Training batches only: a TensorFlow function (x, y, seed) -> (x, y) transforming examples and
    #: labels together (a segmentation mask moved with its image).
    augment: Callable | None = None
    #: What the loader read and left out (None: it read `y_train` and `y_test`, and left out nothing).
    rows: Rows | None = None
    #: One group per training example (`data.options.duplicates: group`), kept whole by the splits.
    groups: np.ndarray | None = None
    #: The kind of the labels as the file holds them (None: told from `y_train`).
    target: Target | None = None

    @property
    def tabular(self) -> bool:
        """Its examples are rows of named columns (a CSV's, a bundled table's), which classical
        models take as they are."""
        return self.kind == "table" or (self.kind == "array" and bool(self.feature_names) and len(self.shape) == 1)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.example_shape if self.example_shape is not None else tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        """A content hash, so a run records exactly which data it saw (file contents, for
        streamed data)."""
        from dlkit.data.fingerprint import fingerprint

        files = self.decode is not None
        # A streamed table's rows stand for its files (`paths`), hashed by their contents.
        x_train, x_test = (getattr(x, "paths", x) for x in (self.x_train, self.x_test))
        files = files or x_train is not self.x_train
        return fingerprint([(x_train, files), (self.y_train, False), (x_test, files), (self.y_test, False)])


@dataclasses.dataclass
class DatasetInfo:
    """What `dlkit validate --dry-run` needs to build the model, known without the data itself."""

    shape: tuple[int, ...]
    class_names: list[str] | None
    kind: str = "image"


#: How graph layers name one table column's encoded tensor: `inputs: [columns.user_id]`.
COLUMNS = "columns."


class ModelInput(tuple):
    """What `Dataset.model_input` gives: the pair (the model's inputs, the tensor the preprocessing
    steps start from), plus `columns`: a table's encoded tensor of each column by name, which
    graph layers take as `inputs: [columns.NAME]` (empty for other data)."""

    def __new__(cls, inputs, x, columns: dict | None = None):
        pair = super().__new__(cls, (inputs, x))
        pair.columns = dict(columns or {})
        return pair


class Dataset(Spec):
    """A named dataset; its fields are the loader's options (`data.options`)."""

    #: Whether `dlkit to-csv` writes it as a table (feature columns and `target`).
    to_csv: ClassVar[bool] = False

    scale_target: bool | None = None
    """Regression: the network learns standardised targets (mean and standard deviation of each
    target column in the training split) and model.keras ends in a fixed layer mapping them back,
    so loss, metrics and predictions are in the target's units. Default (null): true for task
    regression; no other task has a target to scale."""
    target_transform: Literal["none", "log", "log1p", "standardize"] | None = None
    """Regression: the space the network and the loss learn the targets in, fitted on the training
    split: `log` (every training target > 0; predictions exp(.) > 0), `log1p` (targets > -1),
    `standardize` (as scale_target: true, which it needs) or none (default). model.keras answers in
    the target's units, as do metrics, eval and predict; the loss compares log(y) (log1p(y)) of the
    labels and predictions. log and log1p are standardised after with scale_target (default)."""

    _max_bytes: int | None = PrivateAttr(None)

    @property
    def max_bytes(self) -> int | None:
        """`data.max_bytes`: loaders refuse a file declaring more (or more than the memory
        available) before reading it (`dlkit.data.bounds`)."""
        return self._max_bytes

    def bounded(self, max_bytes: int | None) -> Dataset:
        """This loader, with `data.max_bytes` (`DataConfig.loader` gives it)."""
        self._max_bytes = max_bytes
        return self

    _holdout: tuple[float, float | str] = PrivateAttr((0.2, 0.1))  # data.split's defaults

    @property
    def holdout(self) -> tuple[float, float | str]:
        """`data.split`'s (test, validation), for a loader that splits as it reads (a streamed table)."""
        return self._holdout

    def holding_out(self, test: float, validation: float | str) -> Dataset:
        """This loader, with `data.split`'s fractions (`DataConfig.loader` gives them)."""
        self._holdout = (test, validation)
        return self

    def load(self) -> Arrays:
        raise NotImplementedError

    def peek(self, classes: bool = True) -> Peek:
        """What `dlkit validate` can tell in a blink, without loading the data: an `OptionError`
        for a file or column that is not there, and the classes where they are cheap to count
        (`classes=False`: not needed). A loader that knows nothing cheaply keeps this one."""
        return Peek(self.type_name)

    def needs_tensorflow(self) -> dict[str, str]:
        """What of this dataset needs TensorFlow installed, whatever the backend (the key under
        `data`, `dataset` for all of it), each with why: refused before any work without it."""
        return {}

    def names_target(self) -> tuple[tuple, str]:
        """The key under `data` that names the labels, and how messages call them."""
        return ("dataset",), f"dataset {self.type_name!r}"

    def info(self) -> DatasetInfo:
        """Loaders whose data must be downloaded override this with the known shape."""
        arrays = self.load()
        return DatasetInfo(arrays.shape, arrays.class_names, arrays.kind)

    def last_values(self, x: Any, about: Arrays) -> np.ndarray | None:
        """Each example's last known value of what it predicts (a series window's last step of
        the target), the persistence forecast a regression must beat; None: the examples do not
        hold it."""
        return None

    def model_input(self, shape: tuple[int, ...], x_train: Any = None):
        """The model's input and the tensor the preprocessing steps start from. Datasets whose
        raw examples need encoding inside the model (text, table columns) add the encoders
        here, fitted on `x_train` (None for a dry run)."""
        from dlkit.core.backend import keras

        inputs = keras().Input(shape=shape, name="input")
        return inputs, inputs
