"""`task: binary`: two classes, one sigmoid unit giving the second class's probability."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dlkit.core.registries import TASKS
from dlkit.core.strict import listed
from dlkit.tasks.class_labels import ClassTask

if TYPE_CHECKING:
    import numpy as np


@TASKS.register()
class Binary(ClassTask):
    """Two classes: one sigmoid unit, binary cross-entropy; ROC curve and AUC."""

    head = "sigmoid"
    proposed_for = "two_classes"
    default_loss = "binary_crossentropy"
    default_metrics = ("accuracy", "auc")
    report_metrics = frozenset({"accuracy", "precision", "recall", "f1", "roc_auc", "ece", "confusion_matrix"})

    def class_names(self, arrays) -> list[str]:
        return arrays.class_names if arrays.class_names and len(arrays.class_names) == 2 else ["0", "1"]

    def output_units(self, class_names, target_dim) -> int:
        return 1

    def output_meaning(self, units: int) -> str:
        return "a binary task (one sigmoid unit)"

    def expected_units(self, peek):
        return 1, "a binary task takes one sigmoid unit"

    def layer_problems(self, peek):
        names, problems = peek.class_names, super().layer_problems(peek)
        if names and len(names) > 2:
            what = f"{peek.source} has {len(names)} ({listed(names, 5)})"
            problems.insert(0, (("task",), f"'binary' takes 2 classes, but {what}; use task: classification"))
        return problems

    def decisions(self, outputs: np.ndarray) -> np.ndarray:
        return (self.probabilities(outputs).reshape(-1) > 0.5).astype("int64")

    def class_probability_rows(self, outputs: np.ndarray) -> np.ndarray:
        import numpy as np

        positive = self.probabilities(outputs).reshape(-1).astype("float64")
        return np.stack([1.0 - positive, positive], axis=-1)

    def from_class_probabilities(self, rows: np.ndarray) -> np.ndarray:
        import numpy as np

        return self.from_probabilities(np.asarray(rows)[:, 1:])

    def write_report(self, split, outputs, class_names, folder: Path, title: str) -> dict:
        """The class report, and the ROC curve where the split has both classes."""
        import numpy as np

        report = super().write_report(split, outputs, class_names, folder, title)
        if len(np.unique(split.y)) == 2:
            from sklearn import metrics as skm

            from dlkit.core import plots

            fpr, tpr, thresholds = skm.roc_curve(split.y, self.probabilities(outputs).reshape(-1))
            auc = float(skm.auc(fpr, tpr))
            plots.roc_curve(fpr, tpr, auc, folder / "roc_curve.png", title)
            # The first threshold is +inf (nothing predicted positive), which JSON cannot hold.
            thresholds = [float(t) if np.isfinite(t) else None for t in thresholds]
            report["roc_curve"] = {"auc": auc, "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds}
        return report
