"""`task: multilabel`: any number of labels per example (tags), one sigmoid unit per label.

Labels come as `a|b|c` strings (a CSV column, or a string array in an .npz; spaces around names
are stripped) or as an (N, L) 0/1 matrix in an .npz (names from `data.options.class_names`, else
"0".."L-1"), and become an (N, L) multi-hot float32 matrix, the names sorted, from the training
split. A CSV row without labels holds `|` alone: an empty cell is a missing value there, and the
`csv` dataset drops its row. A label is predicted when its probability is above `eval.threshold`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from dlkit.config.evaluation import SupervisedEvalConfig
from dlkit.core.errors import DataError
from dlkit.core.registries import TASKS
from dlkit.core.strict import listed
from dlkit.engine.task import Table
from dlkit.tasks.supervised import SupervisedConfig, SupervisedTask

if TYPE_CHECKING:
    import numpy as np

#: What separates the labels of one example in a CSV cell or a string.
SEPARATOR = "|"
#: The `eval.metrics` figures, averaged over the label units (micro) or over the labels (macro).
SCORES = ("precision", "recall", "f1")


class MultilabelEvalConfig(SupervisedEvalConfig):
    threshold: float = Field(0.5, gt=0, lt=1)
    """A label is predicted when its probability is above this: `eval.metrics`, the per-label
    report and `dlkit predict`'s label lists. (The training metrics take 0.5.)"""


class MultilabelConfig(SupervisedConfig):
    """An experiment of task multilabel; `eval:` also takes `threshold`."""

    eval: MultilabelEvalConfig = MultilabelEvalConfig()


@TASKS.register()
class Multilabel(SupervisedTask):
    """Any number of labels per example (`a|b|c`, or a 0/1 matrix): a sigmoid unit per label, binary cross-entropy."""

    config = MultilabelConfig
    head = "sigmoid"
    default_loss = "binary_crossentropy"
    #: Per-unit accuracy flatters sparse tags (all-zero outputs score high); micro F1 does not.
    default_metrics = ("accuracy", "f1")
    report_metrics = frozenset({f"{a}_{s}" for a in ("micro", "macro") for s in SCORES} | {"subset_accuracy"})
    headlines = ("micro_f1", "f1")
    trivial_baselines = {"prior": "each label's training share"}

    # --- labels ---

    def labels(self, arrays) -> list[str]:
        import numpy as np

        if np.ndim(arrays.y_train) == 2:
            names = self._matrix_names(arrays, np.shape(arrays.y_train)[1])
            arrays.y_train, arrays.y_test = (self._matrix(y, part, len(names)) for part, y in self._parts(arrays))
        else:
            sets = {part: None if y is None else [label_set(v) for v in y] for part, y in self._parts(arrays)}
            names = sorted(set().union(*sets["training"]))
            if not names:
                raise DataError(f"{self.config.data.dataset}: no example of the training split has a label")
            unseen = sorted(set().union(*sets["test"] or [set()]) - set(names))
            if unseen:
                raise DataError(
                    f"{self.config.data.dataset}: test labels never seen in training: {listed(map(repr, unseen), 5)}"
                )
            arrays.y_train, arrays.y_test = (None if s is None else multi_hot(s, names) for s in sets.values())
        arrays.class_names = names
        return names

    @staticmethod
    def _parts(arrays):
        return (("training", arrays.y_train), ("test", arrays.y_test))

    def _matrix_names(self, arrays, width: int) -> list[str]:
        """The loader's class names if there is one per column; a loader that made up its own from
        the values (an .npz's "0".."max") is overruled by "0".."L-1"."""
        names = arrays.class_names
        if names and len(names) == width:
            return list(names)
        if names and names != [str(i) for i in range(len(names))]:
            raise DataError(
                f"data.options.class_names: {len(names)} names for a label matrix of {width} columns; "
                f"give one name per column"
            )
        return [str(i) for i in range(width)]

    def _matrix(self, y, part: str, width: int) -> np.ndarray | None:
        import numpy as np

        if y is None:
            return None
        y = np.asarray(y)
        dataset = self.config.data.dataset
        if y.ndim != 2 or y.shape[1] != width:
            raise DataError(
                f"{dataset}: {part} labels must be an (N, {width}) 0/1 matrix like the training labels. "
                f"Received: shape={y.shape}"
            )
        if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
            shown = np.unique(y)[:5] if y.dtype.kind in "biuf" else y.dtype
            raise DataError(f"{dataset}: a {part} label matrix must hold 0 and 1 only. Received: {shown}")
        return y.astype("float32")

    # --- the last layer ---

    def output_units(self, class_names, target_dim) -> int:
        return len(class_names)

    def output_meaning(self, units: int) -> str:
        return f"{units} labels (one sigmoid unit each)"

    def units_known(self, class_names) -> bool:
        """The loader's class names are not this task's label names (those come from the label
        values), so `dry_run_models` reads the labels instead."""
        return False

    def dry_run_models(self, info) -> dict[str, Any]:
        """The model, its last layer checked against the labels when they are in a local file (as
        the `csv` dataset's columns are read for a dry run anyway); nothing is downloaded."""
        models = super().dry_run_models(info)
        loader = self.config.data.loader()
        if getattr(loader, "path", None) is not None:
            self.check_units(models["model"], self.labels(loader.load()), 1)
        return models

    # --- results ---

    def constant_baselines(self, data) -> dict[str, np.ndarray]:
        """`prior`: each label's share of the training split as its probability for every example
        (so the labels most examples have are predicted, at `eval.threshold`)."""
        import numpy as np

        return {"prior": self.from_probabilities(np.asarray(data.splits.train.y, dtype="float64").mean(axis=0))}

    def decisions(self, outputs: np.ndarray) -> np.ndarray:
        """0/1 per label: its probability is above `eval.threshold`."""
        return (self.probabilities(outputs) > self.config.eval.threshold).astype("int64")

    def report(self, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
        import numpy as np
        from sklearn import metrics as skm

        y_true, y_pred = np.asarray(y_true).astype("int64"), self.decisions(outputs)
        score = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
        values = {
            f"{average}_{name}": lambda f=score[name], a=average: f(y_true, y_pred, average=a, zero_division=0)
            for average in ("micro", "macro")
            for name in SCORES
        }
        values["subset_accuracy"] = lambda: skm.accuracy_score(y_true, y_pred)
        return {name: float(values[name]()) for name in sorted(self.config.eval.metrics)}

    def write_report(self, split, outputs, class_names: list[str], folder: Path, title: str) -> dict:
        """Precision, recall, F1 and support of each label at `eval.threshold`, and a bar chart of the F1s."""
        import numpy as np
        from sklearn import metrics as skm

        y_true = np.asarray(split.y).astype("int64")
        p, r, f, s = skm.precision_recall_fscore_support(
            y_true, self.decisions(outputs), labels=list(range(len(class_names))), zero_division=0
        )
        rows = [
            {"label": name, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, name in enumerate(class_names)
        ]
        _f1_chart(rows, self.config.eval.threshold, folder / "per_label_f1.png", title)
        return {"per_label_report": rows}

    def report_tables(self, report: dict) -> list[Table]:
        rows = [
            [row["label"], *(f"{row[k]:.4f}" for k in SCORES), str(row["support"])]
            for row in report.get("per_label_report", [])
        ]
        return [Table("per label", ["label", *SCORES, "support"], rows)] if rows else []

    # --- predict ---

    def describe(self, output: np.ndarray, classes: list[str], top_k: int) -> dict[str, Any]:
        """The labels above `eval.threshold` (most probable first; none is an empty list), every
        label's probability, and the `top_k` most probable whether above it or not."""
        import numpy as np

        probs = self.probabilities(np.asarray(output)[None])[0]
        name = lambda i: classes[i] if i < len(classes) else str(i)  # noqa: E731
        order = np.argsort(-probs, kind="stable")
        threshold = self.config.eval.threshold
        return {
            "labels": [{"label": name(i), "probability": float(probs[i])} for i in order if probs[i] > threshold],
            "threshold": threshold,
            "probabilities": {name(i): float(p) for i, p in enumerate(probs)},
            "top_k": [{"label": name(i), "probability": float(probs[i])} for i in order[:top_k]],
        }

    def score_parts(self, described, targets, classes):
        """Each example's (true labels, predicted labels), from `a|b` target cells."""
        import numpy as np

        parts = np.empty(len(targets), dtype=object)
        predicted = [{t["label"] for t in labels} for labels in described.field("labels")]
        parts[:] = list(zip([label_set(cell) for cell in targets], predicted, strict=True))
        return parts

    def score_figures(self, parts, classes):
        """Micro F1 and subset accuracy at `eval.threshold`; a label training never saw counts as missed."""
        from sklearn import metrics as skm

        truth = [true for true, _ in parts]
        names = [*classes, *sorted(set().union(*truth) - set(classes))]
        y_true = multi_hot(truth, names)
        y_pred = multi_hot([predicted for _, predicted in parts], names)
        figures = {
            "micro_f1": skm.f1_score(y_true, y_pred, average="micro", zero_division=0),
            "subset_accuracy": skm.accuracy_score(y_true, y_pred),
        }
        return {name: float(value) for name, value in figures.items()}, len(parts)

    def columns(self, top_k: int) -> tuple[str, str, str]:
        return "prediction", "probability", f"top {top_k}"

    def shown(self, row: dict[str, Any]) -> tuple[str, str, str]:
        from dlkit.engine.described import shown_top

        top = shown_top(row["top_k"])
        if not row["labels"]:
            return "(none)", "", top
        labels, probabilities = zip(*((t["label"], f"{t['probability']:.4f}") for t in row["labels"]), strict=True)
        return SEPARATOR.join(labels), SEPARATOR.join(probabilities), top


def label_set(value) -> set[str]:
    """`" a | b|"` -> {"a", "b"}; a value of separators (or spaces) only has no labels."""
    text = value.decode() if isinstance(value, bytes) else str(value)
    return {name.strip() for name in text.split(SEPARATOR)} - {""}


def multi_hot(sets: list[set[str]], names: list[str]) -> np.ndarray:
    """(N, L) float32: 1 where example n has label names[l]."""
    import numpy as np

    index = {name: i for i, name in enumerate(names)}
    y = np.zeros((len(sets), len(names)), dtype="float32")
    for row, labels in enumerate(sets):
        y[row, [index[label] for label in labels]] = 1.0
    return y


def _f1_chart(rows: list[dict], threshold: float, path: Path, title: str) -> None:
    """One horizontal bar per label, its support beside it."""
    import numpy as np

    from dlkit.core import plots

    plt = plots.figure()
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.35 * len(rows) + 1.2)))
    positions = np.arange(len(rows))
    ax.barh(positions, [row["f1"] for row in rows], color="tab:blue")
    for y, row in zip(positions, rows, strict=True):
        ax.text(min(row["f1"], 0.85) + 0.02, y, f"n={row['support']}", va="center", fontsize=8)
    ax.set(yticks=positions, yticklabels=[row["label"] for row in rows], xlim=(0, 1), xlabel="F1")
    ax.set_title(f"per-label F1 at threshold {threshold:g}, {title}")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    plots.save(fig, path)
