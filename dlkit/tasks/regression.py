"""`task: regression`: one or more numbers per example, linear outputs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dlkit.core.errors import ConfigError
from dlkit.core.registries import TASKS
from dlkit.data.targets import FLOATS, INTEGERS
from dlkit.engine.task import Baseline
from dlkit.tasks.supervised import SupervisedTask

if TYPE_CHECKING:
    import numpy as np

#: The transforms of `data.options.target_transform` that the model inverts in a layer of its own
#: (`dlkit.layers.target`), each with the value every training target must be above.
DOMAIN = {"log": 0.0, "log1p": -1.0}


@TASKS.register()
class Regression(SupervisedTask):
    """Numbers: one linear unit per target column, mean squared error; residual plot."""

    head = "linear"
    proposed_for = "numbers"
    default_loss = "mean_squared_error"
    default_metrics = ("mae",)
    report_metrics = frozenset({"mae", "mse", "rmse", "r2"})
    headlines = ("mae",)
    scales_targets = True
    targets = frozenset({INTEGERS, FLOATS})
    needs = "numbers"
    fits = frozenset({FLOATS})
    trivial_baselines = {
        "mean": "the training mean",
        "median": "the training median",
        "persistence": "last-value persistence",
    }
    classical = "regressor"

    def labels(self, arrays) -> list[str]:
        """Numbers as float32 (`check_target` has refused labels that are not numbers)."""
        import numpy as np

        parts = (arrays.y_train, arrays.y_test)
        arrays.y_train, arrays.y_test = (None if y is None else np.asarray(y, "float32") for y in parts)
        return []

    def output(self, outputs, train_targets=None):
        """With `data.options.scale_target` the model ends in `scale_target`, a fixed
        `mean + std * x` of each target column of the training split (neutral for a dry run): the
        layers learn standardised targets while the model, its loss and its metrics are in the
        target's units. With Adam that trains as on standardised labels (a gradient's scale cancels
        out). Keras's Rescaling keeps mean and std in its config, not as weights, so the parameter
        count is the network's. With `target_transform: log` or `log1p` it ends in
        `target_transform` instead, the statistics those of the transformed targets, answering
        exp(.) of a value kept within the training range widened by a tenth of it
        (`dlkit.layers.target.TargetTransform`, `learned_range`)."""
        options = self.config.data.options
        transform = options.get("target_transform") or "none"
        if transform in DOMAIN:
            from dlkit.layers.target import TargetTransform, learned_range

            learned = None if train_targets is None else self.transformed(transform, train_targets)
            mean, std = target_scale(learned) if learned is not None and options.get("scale_target") else (0.0, 1.0)
            low, high = learned_range(learned) if learned is not None else (None, None)
            layer = TargetTransform(transform, mean, std, low, high, dtype="float32", name="target_transform")
            return layer(outputs)
        if not options.get("scale_target"):
            return outputs
        from dlkit.core.backend import keras

        mean, std = target_scale(train_targets) if train_targets is not None else (0.0, 1.0)
        return keras().layers.Rescaling(std, offset=mean, dtype="float32", name="scale_target")(outputs)

    def transformed(self, transform: str, y) -> np.ndarray:
        """The training targets as the network learns them, log(y) or log1p(y); a target outside
        the transform's domain is a ConfigError naming the smallest one, before any training."""
        import numpy as np

        y = np.asarray(y, dtype="float64")
        smallest, edge = float(y.min()), DOMAIN[transform]
        if smallest <= edge:
            _, subject = self.config.data.loader().names_target()
            other = "log1p (targets > -1), " if transform == "log" else ""
            raise ConfigError(
                f"data.options.target_transform: {transform} needs every training target > {edge:g}, but the "
                f"smallest of {subject} in the training split is {smallest:g}; use {other}standardize or none"
            )
        return np.log(y) if transform == "log" else np.log1p(y)

    def loss(self):
        """`train.loss` of log(y) or log1p(y) with `target_transform: log` or `log1p` (the loss
        Keras minimises and metrics.json's `loss`); `train.metrics` and `eval.metrics` stay in the
        target's units."""
        transform = self.config.data.options.get("target_transform") or "none"
        if transform not in DOMAIN:
            return super().loss()
        from dlkit.layers.target import TransformedLoss

        return TransformedLoss(super().loss(), transform)

    def constant_baselines(self, data) -> dict[str, np.ndarray]:
        """The training split's mean (least squared error) and median (least absolute error) of
        each target column, in the target's units."""
        import numpy as np

        y = np.asarray(data.splits.train.y, dtype="float64").reshape(len(data.splits.train.y), -1)
        return {"mean": y.mean(axis=0).astype("float32"), "median": np.median(y, axis=0).astype("float32")}

    def data_baselines(self, data, splits):
        """`persistence` where the data knows each example's last value of the target (a series'
        window): the next value as the last one."""
        last = {name: data.loader.last_values(split.x, data.about) for name, split in splits.items()}
        if any(values is None for values in last.values()):
            return []
        return [Baseline("persistence", {name: v.reshape(len(v), -1) for name, v in last.items()})]

    def expected_units(self, peek):
        width = peek.target_width
        return (width, f"{peek.source} has {width} target(s)") if width else None

    def output_units(self, class_names, target_dim) -> int:
        return target_dim

    def output_meaning(self, units: int) -> str:
        return f"{units} target(s)"

    def score_parts(self, described, targets, classes):
        """Each example's error (one target only; a target cell that is no number is not scored)."""
        import numpy as np
        import pandas as pd

        values = np.asarray(described.field("value"), dtype=object)
        if values.ndim != 1 or any(isinstance(v, list) for v in values):
            return None
        errors = values.astype("float64") - pd.to_numeric(pd.Series(targets, dtype=object), errors="coerce").to_numpy()
        return errors[~np.isnan(errors)]

    def score_figures(self, parts, classes):
        """MAE and RMSE."""
        import numpy as np

        if not len(parts):
            return None
        return {"mae": float(np.abs(parts).mean()), "rmse": float(np.sqrt((parts**2).mean()))}, len(parts)

    def report(self, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
        import numpy as np
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
        from dlkit.core import plots

        y_pred = outputs.reshape(split.y.shape)
        plots.residuals(split.y.ravel(), y_pred.ravel(), folder / "residuals.png", title)
        return {}


def target_scale(y) -> tuple:
    """The mean and standard deviation of each target column (numbers for one column); a constant
    column keeps std 1, since there is nothing to scale."""
    import numpy as np

    y = np.asarray(y, dtype="float64")
    mean, std = y.mean(axis=0), y.std(axis=0)
    return mean.tolist(), np.where(std > 0, std, 1.0).tolist()
