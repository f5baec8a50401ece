"""`sequence`: sliding windows over a time series, for LSTM/GRU/Conv1D models taking
(timesteps, features). Use `data.split.ordered: true` so validation and test come after training
in time."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import PositiveInt

from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.peek import OptionError, Peek, csv_header, existing_file, require_column
from dlkit.data.table import column_name, numeric_column, read_csv, require_columns


def windows(series, window: int, stride: int = 1, horizon: int = 0):
    """Start indices of every `window`-long slice that leaves `horizon` steps after it, and the
    slices themselves, as (N, window, features)."""
    import numpy as np

    starts = np.arange(0, len(series) - window - horizon + 1, stride)
    if not len(starts):
        raise DataError(f"a series of {len(series)} steps is too short for window {window} and horizon {horizon}")
    return starts, np.stack([series[s : s + window] for s in starts])


@DATASETS.register()
class Sequence(Dataset):
    """Sliding windows (window, features) over a CSV of time-ordered rows or a .npy series."""

    path: Path
    """A CSV file (one row per time step) or a .npy array of shape (steps,) or (steps, features)."""
    target: str | int = -1
    """The CSV column (or .npy column index) to predict."""
    features: list[str] | None = None
    """CSV columns fed to the model; default: every column."""
    window: PositiveInt = 30
    """Time steps per example."""
    horizon: PositiveInt = 1
    """Predict the target this many steps after the window's last step."""
    stride: PositiveInt = 1
    """Steps between the starts of consecutive windows."""
    label: Literal["value", "rises"] = "value"
    """`value`: the target's future value (task: regression); `rises`: 1 if it is above its value
    at the window's end, else 0 (task: binary)."""

    def info(self) -> DatasetInfo:
        """Known without the file when `features` names the columns (`validate --dry-run`)."""
        if self.features is None:
            return super().info()
        classes = ["falls", "rises"] if self.label == "rises" else None
        return DatasetInfo((self.window, len(self.features)), classes, "sequence")

    def names_target(self) -> tuple[tuple, str]:
        target = column_name(self.target) if isinstance(self.target, str) else self.target
        return ("options", "target"), f"column {target!r}"

    def peek(self, classes: bool = True) -> Peek:
        """The file, and a CSV's target and feature columns checked against its header."""
        existing_file(self.path)
        if self.path.suffix != ".npy":
            header = [column_name(c) for c in csv_header(self.path)]
            if isinstance(self.target, str):
                require_column(column_name(self.target), header, self.path, ("target",))
            else:
                self._check_index(len(header))
            for i, name in enumerate(self.features or []):
                require_column(column_name(name), header, self.path, ("features", i))
        return Peek(f"{self.path}", ["falls", "rises"] if self.label == "rises" else None, target_width=1)

    def _check_index(self, columns: int) -> None:
        if not -columns <= self.target < columns:
            raise OptionError(("target",), f"a column index below {columns} for {self.path}. Received: {self.target}")

    def load(self) -> Arrays:
        series, target, names = self._series()
        starts, x = windows(series, self.window, self.stride, self.horizon)
        future = target[starts + self.window + self.horizon - 1]
        y = (future > target[starts + self.window - 1]).astype("int64") if self.label == "rises" else future
        return Arrays(
            x_train=x.astype("float32"),
            y_train=y,
            class_names=["falls", "rises"] if self.label == "rises" else None,
            kind="sequence",
            feature_names=names,
        )

    def last_values(self, x, about: Arrays):
        """The target's value at each window's last step, where the target is among the features
        (`label: value` only: `rises` compares with it already)."""
        if self.label != "value":
            return None
        if self.path.suffix == ".npy":  # every column is a feature; `load` checked the index
            return x[:, -1, self.target % x.shape[-1]]
        target = column_name(self.target if isinstance(self.target, str) else csv_header(self.path)[self.target])
        names = about.feature_names or []
        return x[:, -1, names.index(target)] if target in names else None

    def _series(self):
        import numpy as np

        existing_file(self.path)
        if self.path.suffix == ".npy":
            try:
                series = np.load(self.path, allow_pickle=False).astype("float32")
            except ValueError as e:
                raise DataError(f"{self.path}: not a numeric .npy array ({e})") from None
            series = series[:, None] if series.ndim == 1 else series
            if not isinstance(self.target, int) or not -series.shape[1] <= self.target < series.shape[1]:
                raise DataError(f"data.options.target: a column index below {series.shape[1]} for {self.path}")
            return series, series[:, self.target], None
        frame = read_csv(self.path)
        if isinstance(self.target, int):
            self._check_index(frame.shape[1])
        target = column_name(str(self.target)) if isinstance(self.target, str) else frame.columns[self.target]
        names = [column_name(c) for c in self.features] if self.features else list(frame.columns)
        require_columns(frame, [target], self.path, "target")
        require_columns(frame, names, self.path, "feature")
        series = np.stack([numeric_column(frame, name, self.path) for name in names], axis=1)
        if np.isnan(series).any():
            row = int(np.isnan(series).any(axis=1).argmax())
            raise DataError(f"{self.path}: row {row + 2} has an empty cell; a series needs every step")
        return series, numeric_column(frame, target, self.path), names
