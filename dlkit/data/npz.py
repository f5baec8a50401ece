"""A local `.npz` file in the Keras datasets' format: `x_train, y_train[, x_test, y_test]`."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.core.strict import listed
from dlkit.data.bounds import check_npz
from dlkit.data.dataset import Arrays, Dataset
from dlkit.data.peek import OptionError, Peek, existing_file

if TYPE_CHECKING:
    import numpy as np


@DATASETS.register()
class Npz(Dataset):
    """Arrays from a local .npz (x_train, y_train, optional x_test, y_test), e.g. a saved mnist.npz."""

    path: Path
    """The .npz file; a relative path is taken from the working directory."""
    class_names: list[str] | None = None
    """Names of the classes 0..K-1; by default the labels themselves."""
    kind: Literal["image", "array"] = "image"
    """`image`: uint8 pixels, (N, H, W) or (N, H, W, C); `array`: any numeric features, as they are."""

    def names_target(self) -> tuple[tuple, str]:
        return ("options", "path"), f"{self.path}"

    def peek(self, classes: bool = True) -> Peek:
        self._check()
        return Peek(f"{self.path}", self.class_names)

    def load(self) -> Arrays:
        import numpy as np

        self._check()  # before numpy allocates what the headers declare
        try:
            with np.load(self.path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise DataError(f"data.options.path: cannot read {self.path} as .npz: {e}") from None
        missing = [k for k in ("x_train", "y_train") if k not in arrays]
        if missing:
            raise DataError(
                f"{self.path}: missing arrays {', '.join(missing)}; expected x_train, y_train "
                f"(and optionally x_test, y_test). Received: {listed(sorted(arrays)) or 'none'}"
            )
        x_train, x_test = (self._features(arrays.get(k)) for k in ("x_train", "x_test"))
        y_train, y_test = (_labels(arrays.get(k)) for k in ("y_train", "y_test"))
        class_names = self.class_names
        if class_names is None and np.issubdtype(y_train.dtype, np.integer) and y_train.ndim == 1:
            both = y_test is not None and y_test.ndim == 1  # a test split of another shape is the task's to refuse
            seen = np.unique(np.concatenate([y_train, y_test]) if both else y_train)
            class_names = [str(v) for v in range(int(seen.max()) + 1)]
        return Arrays(x_train, y_train, x_test, y_test, class_names, kind=self.kind)

    def _check(self) -> None:
        """The file is there, and its arrays fit `data.max_bytes` and the memory available."""
        existing_file(self.path)
        try:
            check_npz(self.path, self.max_bytes)
        except DataError as e:
            raise OptionError(("path",), str(e)) from None

    def _features(self, x: np.ndarray | None) -> np.ndarray | None:
        if x is None or self.kind != "image":
            return x
        if x.ndim not in (3, 4):
            raise DataError(
                f"{self.path}: images must be (N, H, W) or (N, H, W, C); set data.options.kind: "
                f"array for other data. Received: shape={x.shape}"
            )
        # Grayscale stacks, as in mnist.npz, get their channel axis.
        return x[..., None] if x.ndim == 3 else x


def _labels(y: np.ndarray | None) -> np.ndarray | None:
    """Labels stored as (N, 1), as in cifar10, become (N,)."""
    if y is not None and y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    return y
