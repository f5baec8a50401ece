"""`task: regression`: one or more numbers per example, linear outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlkit.errors import DataError
from dlkit.tasks import TASKS
from dlkit.tasks.supervised import SupervisedTask


@TASKS.register()
class Regression(SupervisedTask):
    """Numbers: one linear unit per target column, mean squared error; residual plot."""

    head = "linear"
    default_loss = "mean_squared_error"
    default_metrics = ("mae",)
    report_metrics = frozenset({"mae", "mse", "rmse", "r2"})
    headlines = ("mae",)

    def labels(self, arrays) -> list[str]:
        arrays.y_train, arrays.y_test = (self._numbers(y) for y in (arrays.y_train, arrays.y_test))
        return []

    def _numbers(self, y):
        if y is None:
            return None
        try:
            return np.asarray(y, dtype="float32")
        except ValueError:
            raise DataError(f"{self.config.data.dataset}: task {self.name!r} needs numeric targets") from None

    def output_units(self, class_names, target_dim) -> int:
        return target_dim

    def output_meaning(self, units: int) -> str:
        return f"{units} target(s)"

    def report(self, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
        from sklearn import metrics as skm

        y_pred = outputs.reshape(y_true.shape)
        mse = skm.mean_squared_error(y_true, y_pred)
        values = {
            "mae": lambda: skm.mean_absolute_error(y_true, y_pred),
            "mse": lambda: mse,
            "rmse": lambda: np.sqrt(mse),
            "r2": lambda: skm.r2_score(y_true, y_pred),
        }
        return {name: float(values[name]()) for name in sorted(self.config.eval.metrics)}

    def write_report(self, split, outputs, class_names, folder: Path, title: str) -> dict:
        """The residuals: several targets share one plot, each point one target of one example."""
        from dlkit import plots

        y_pred = outputs.reshape(split.y.shape)
        plots.residuals(split.y.ravel(), y_pred.ravel(), folder / "residuals.png", title)
        return {}
