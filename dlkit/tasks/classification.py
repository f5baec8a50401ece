"""`task: classification`: one class of K per example, a softmax over K units."""

from __future__ import annotations

from dlkit.core.registries import TASKS
from dlkit.data.targets import INTEGERS, TEXT
from dlkit.tasks.class_labels import ClassTask


@TASKS.register()
class Classification(ClassTask):
    """One class of several per example: K softmax units, cross-entropy (the default task)."""

    head = "softmax"
    proposed_for = "classes"
    fits = frozenset({INTEGERS, TEXT})
    default_loss = "sparse_categorical_crossentropy"
    default_metrics = ("accuracy",)
    report_metrics = frozenset({"accuracy", "precision", "recall", "f1", "ece", "confusion_matrix"})

    def output_units(self, class_names, target_dim) -> int:
        return len(class_names)

    def output_meaning(self, units: int) -> str:
        return f"{units} classes"

    def expected_units(self, peek):
        from dlkit.tasks.last_layer import class_units

        return class_units(peek)

    def units_known(self, class_names) -> bool:
        return bool(class_names)
