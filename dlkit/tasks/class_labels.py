"""What classification and binary share: labels that are classes (names encoded as indices, a
range check, stratified splits, class weights), reports by class (confusion matrix, per-class
precision/recall/F1) and predict rows with the top classes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlkit.config.evaluation import ClassEvalConfig
from dlkit.config.train import ClassTrainConfig
from dlkit.core import calibration
from dlkit.core.errors import ConfigError, DataError
from dlkit.core.strict import listed, raise_at
from dlkit.data.targets import INTEGERS, TEXT
from dlkit.engine.task import Table
from dlkit.tasks.supervised import SupervisedConfig, SupervisedTask

if TYPE_CHECKING:
    import numpy as np

    from dlkit.engine.described import Described


class ClassConfig(SupervisedConfig):
    """An experiment whose labels are classes; `train:` also takes `class_weight`, `eval:` `calibrate`."""

    train: ClassTrainConfig = ClassTrainConfig()
    eval: ClassEvalConfig = ClassEvalConfig()

    def fill_defaults(self) -> None:
        super().fill_defaults()
        if self.eval.calibrate and not self.data.split.has_validation:
            raise_at(
                ("eval", "calibrate"),
                "the temperature is fitted on the validation split, but data.split.validation is 0; "
                "hold out a share for it (e.g. 0.1)",
                self.eval.calibrate,
            )


class ClassTask(SupervisedTask):
    """Labels are classes 0..K-1."""

    config = ClassConfig
    stratify = True
    counts_classes = True
    targets = frozenset({INTEGERS, TEXT})
    needs = "class labels (integers or names)"
    headlines = ("accuracy", "auc")
    attackable = True
    trivial_baselines = {"majority": "the majority class"}
    classical = "classifier"

    # --- labels ---

    def labels(self, arrays) -> list[str]:
        import numpy as np

        if not np.issubdtype(np.asarray(arrays.y_train).dtype, np.integer):
            encode_labels(arrays)
        names = self.class_names(arrays)
        for part, y in (("training", arrays.y_train), ("test", arrays.y_test)):
            if y is not None and len(y) and (y.min() < 0 or y.max() >= len(names)):
                raise DataError(
                    f"{self.config.data.dataset}: {part} labels must be 0..{len(names) - 1} for "
                    f"{len(names)} classes ({self.name}). Received: {int(y.min())}..{int(y.max())}"
                )
        return names

    def class_names(self, arrays) -> list[str]:
        """The loader's class names, or the labels 0..max as names."""
        if arrays.class_names:
            return arrays.class_names
        return [str(c) for c in range(int(arrays.y_train.max()) + 1)]

    def class_weight(self, data) -> dict[int, float] | None:
        return class_weights(self.config, data)

    # --- results ---

    def constant_baselines(self, data) -> dict[str, np.ndarray]:
        """`majority`: each class's share of the training split as its probability for every
        example: it decides for the majority class, and its loss is the prior's."""
        import numpy as np

        y = np.asarray(data.splits.train.y, dtype="int64").reshape(-1)
        shares = np.bincount(y, minlength=len(data.class_names)) / max(len(y), 1)
        return {"majority": self.from_class_probabilities(shares[None])[0]}

    def classical_outputs(self, predictions: np.ndarray) -> np.ndarray:
        return self.from_class_probabilities(predictions)

    def from_class_probabilities(self, rows: np.ndarray) -> np.ndarray:
        """The outputs that give these (N, K) class probabilities (the inverse of
        `class_probability_rows`)."""
        return self.from_probabilities(rows)

    def decisions(self, outputs: np.ndarray) -> np.ndarray:
        return outputs.argmax(axis=-1)

    def report(self, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
        import numpy as np
        from sklearn import metrics as skm

        wanted = set(self.config.eval.metrics) - {"confusion_matrix"}
        y_pred = self.decisions(outputs)
        macro = {"average": "macro", "zero_division": 0}
        values = {
            "accuracy": lambda: skm.accuracy_score(y_true, y_pred),
            "precision": lambda: skm.precision_score(y_true, y_pred, **macro),
            "recall": lambda: skm.recall_score(y_true, y_pred, **macro),
            "f1": lambda: skm.f1_score(y_true, y_pred, **macro),
            "roc_auc": lambda: skm.roc_auc_score(y_true, self.probabilities(outputs).reshape(-1)),
            "ece": lambda: calibration.expected_calibration_error(self.class_probability_rows(outputs), y_true),
        }
        if len(np.unique(y_true)) < 2:
            wanted.discard("roc_auc")  # undefined on a split with one class only
        return {name: float(values[name]()) for name in sorted(wanted)}

    def write_report(self, split, outputs: np.ndarray, class_names: list[str], folder: Path, title: str) -> dict:
        """The confusion matrix (plot and data), the per-class rows and the reliability diagram
        (with its bins)."""
        from sklearn import metrics as skm

        from dlkit.core import plots

        y_pred = self.decisions(outputs)
        labels = list(range(len(class_names)))
        p, r, f, s = skm.precision_recall_fscore_support(split.y, y_pred, labels=labels, zero_division=0)
        rows = [
            {"class": name, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, name in enumerate(class_names)
        ]
        matrix = skm.confusion_matrix(split.y, y_pred, labels=labels)
        plots.confusion_matrix(matrix, class_names, folder / "confusion_matrix.png", title)
        matrix_data = {"classes": class_names, "matrix": matrix.tolist()}
        report = {"classification_report": rows, "confusion_matrix": matrix_data}
        if len(split.y):
            report["reliability"] = calibration.reliability(self.class_probability_rows(outputs), split.y)
            plots.reliability(report["reliability"], folder / "reliability.png", title)
        return report

    def calibration_report(self, model, name: str, y: np.ndarray, outputs: np.ndarray) -> dict:
        """A model calibrated at training (`eval.calibrate`) ends in a TemperatureScaling layer:
        ECE and NLL on split `name` of its outputs, and of them with the temperature undone."""
        from dlkit.layers.custom import TemperatureScaling

        last = model.layers[-1]
        if not isinstance(last, TemperatureScaling) or not len(y):
            return {}
        from_logits = bool(getattr(self.config.train.loss, "from_logits", False))
        z = calibration.scores(outputs, self.head, from_logits) * last.temperature
        figures = calibration.figures(z, y, self.head, last.temperature)
        return {"calibration": {"split": name, "temperature": last.temperature, **figures}}

    def report_tables(self, report: dict) -> list[Table]:
        rows = [
            [row["class"], *(f"{row[k]:.4f}" for k in ("precision", "recall", "f1")), str(row["support"])]
            for row in report.get("classification_report", [])
        ]
        tables = [Table("per class", ["class", "precision", "recall", "f1", "support"], rows)] if rows else []
        if "calibration" in report:
            figures = report["calibration"]
            shown = {figures["split"]: figures}
            tables.append(Table.of_calibration(shown, figures["temperature"], "temperature scaling"))
        return tables

    # --- predict ---

    def class_probability_rows(self, outputs: np.ndarray) -> np.ndarray:
        """(N, K): each example's probability of each class."""
        return self.probabilities(outputs)

    def describe(self, output: np.ndarray, classes: list[str], top_k: int) -> dict[str, Any]:
        return self.describe_columns(output[None], classes, top_k).row(0)

    def describe_columns(self, outputs: np.ndarray, classes: list[str], top_k: int) -> Described:
        from dlkit.engine.described import Classes

        return Classes.of(self.class_probability_rows(outputs), classes, top_k)

    def score_parts(self, described, targets, classes):
        """A hit per example; a target written `1.0` is class `1` when the classes are integers."""
        import numpy as np
        import pandas as pd

        from dlkit.data.table import category_text, id_suffix

        integer_classes = id_suffix(classes) == ""

        def label(cell) -> str:
            try:
                return category_text(cell, integer_classes)
            except ValueError:
                return category_text(cell, False)

        codes, distinct = pd.factorize(np.asarray(targets, dtype=object))  # each distinct cell read once
        truth = np.array([label(cell) for cell in distinct], dtype=object)[codes]
        return np.asarray(described.field("label"), dtype=object) == truth

    def score_figures(self, parts, classes):
        """Accuracy."""
        import numpy as np

        return {"accuracy": float(np.mean(parts))}, len(parts)

    def columns(self, top_k: int) -> tuple[str, str, str]:
        return "prediction", "probability", f"top {top_k}"

    def shown(self, row: dict[str, Any]) -> tuple[str, str, str]:
        from dlkit.engine.described import shown_class

        return shown_class(row)


def encode_labels(arrays) -> None:
    """Labels given as names (strings, or floats that are whole numbers: `1.0` is class `1`, as a
    CSV column with a blank cell gives them) become class indices; names sorted, from training."""
    import numpy as np

    for part in ("y_train", "y_test"):
        y = getattr(arrays, part)
        if y is not None and y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.round(y)).all():
            setattr(arrays, part, y.astype("int64"))
    names = sorted({str(v) for v in arrays.y_train})
    index = {name: i for i, name in enumerate(names)}
    unseen = sorted({str(v) for v in arrays.y_test} - set(names)) if arrays.y_test is not None else []
    if unseen:
        raise DataError(f"test labels never seen in training: {listed(unseen, 5)}")
    arrays.y_train, arrays.y_test = (
        None if y is None else np.array([index[str(v)] for v in y], dtype="int64")
        for y in (arrays.y_train, arrays.y_test)
    )
    arrays.class_names = names


def class_weights(config, data) -> dict[int, float] | None:
    """`train.class_weight` as {class index: weight}; `balanced` weighs each class by
    examples / (classes x its examples) in the training split."""
    import numpy as np

    wanted, names = config.train.class_weight, data.class_names
    if wanted is None:
        return None
    if wanted == "balanced":
        counts = np.bincount(np.asarray(data.splits.train.y, dtype="int64").reshape(-1), minlength=len(names))
        return {i: float(counts.sum() / (len(names) * n)) for i, n in enumerate(counts) if n}
    weights = dict.fromkeys(range(len(names)), 1.0)  # Keras wants every class up to the largest named
    for key, weight in wanted.items():
        if str(key) in names:
            weights[names.index(str(key))] = weight
        elif isinstance(key, int) and 0 <= key < len(names):
            weights[key] = weight
        else:
            raise ConfigError(f"train.class_weight.{key}: no such class; the classes are {listed(names)}")
    return weights
