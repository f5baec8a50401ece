"""From config to split arrays: load the dataset, check its labels, split it (seeded)."""

from __future__ import annotations

import dataclasses

import numpy as np

from dlkit.config import ExperimentConfig
from dlkit.data.dataset import Arrays, Dataset
from dlkit.data.splits import Split, Splits, make_splits
from dlkit.errors import ConfigError, DataError
from dlkit.strict import listed


@dataclasses.dataclass
class PreparedData:
    splits: Splits
    class_names: list[str]
    fingerprint: str
    loader: Dataset
    #: What the loader said about its data (kind, shape, decode, feature names), less the examples.
    about: Arrays

    @property
    def kind(self) -> str:
        return self.about.kind

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.about.shape

    def model_input(self):
        """The model's input, with encoders fitted on the training split."""
        return self.loader.model_input(self.input_shape, self.splits.train.x)

    @property
    def target_dim(self) -> int:
        """Numbers per example in the labels: 1, or the width of (N, D) regression targets."""
        y = self.splits.train.y
        return 1 if y.ndim == 1 else y.shape[-1]

    def split_names(self) -> list[str]:
        return ["train", "test"] if self.splits.val is None else ["train", "val", "test"]

    def split(self, name: str) -> Split:
        found = {"train": self.splits.train, "val": self.splits.val, "test": self.splits.test}[name]
        if found is None:
            raise DataError(f"this run has no {name} split (data.split.validation is 0)")
        return found


def prepare_data(config: ExperimentConfig) -> PreparedData:
    """The splits training uses; `dlkit eval` calls this again and gets the same ones."""
    loader = config.data.loader()
    arrays = loader.load()
    if config.task == "regression":
        arrays.y_train, arrays.y_test = (_numbers(config, y) for y in (arrays.y_train, arrays.y_test))
    elif not np.issubdtype(np.asarray(arrays.y_train).dtype, np.integer):
        if config.task in ("classification", "binary"):
            _refuse_quantities(config, loader, arrays.y_train)
        _encode_labels(arrays)
    class_names = _class_names(config, arrays)
    if config.task != "regression":
        _check_label_range(config, arrays, class_names)
    split = config.data.split
    splits = make_splits(
        arrays,
        validation=split.validation,
        test=split.test,
        seed=config.seed,
        stratify=config.task != "regression",
        ordered=split.ordered,
    )
    about = dataclasses.replace(
        arrays, x_train=None, y_train=None, x_test=None, y_test=None, example_shape=arrays.shape
    )
    return PreparedData(splits, class_names, arrays.fingerprint(), loader, about)


def _numbers(config: ExperimentConfig, y):
    if y is None:
        return None
    try:
        return np.asarray(y, dtype="float32")
    except ValueError:
        raise DataError(f"{config.data.dataset}: task 'regression' needs numeric targets") from None


def _refuse_quantities(config: ExperimentConfig, loader: Dataset, y) -> None:
    """Float labels with fractions are quantities, not classes: most often a forgotten `task:`.
    Made into classes, each distinct value would be one (and the stratified split fail on them)."""
    values = np.asarray(y)
    if values.dtype.kind != "f":
        return
    values = values[np.isfinite(values)]
    fractions = values[values != np.round(values)]
    if not len(fractions):
        return
    target = getattr(loader, "target", None)
    what = f"target {target!r}" if isinstance(target, str) else f"{config.data.dataset}'s labels"
    distinct = len(np.unique(values))
    if "task" not in config.model_fields_set:
        raise ConfigError(
            f"task is 'classification' (the default) but {what} has {distinct:,} distinct float values; "
            "set task: regression"
        )
    raise ConfigError(
        f"task is {config.task!r} but {what} holds numbers with fractions ({distinct:,} distinct values, "
        f"e.g. {fractions[0]:g}); class labels are integers or names; to predict the numbers set task: regression"
    )


def _encode_labels(arrays: Arrays) -> None:
    """Labels given as names (strings) become class indices; class names sorted, from training."""
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


def _check_label_range(config: ExperimentConfig, arrays: Arrays, class_names: list[str]) -> None:
    for part, y in (("training", arrays.y_train), ("test", arrays.y_test)):
        if y is not None and len(y) and (y.min() < 0 or y.max() >= len(class_names)):
            raise DataError(
                f"{config.data.dataset}: {part} labels must be 0..{len(class_names) - 1} for "
                f"{len(class_names)} classes ({config.task}). Received: {int(y.min())}..{int(y.max())}"
            )


def _class_names(config: ExperimentConfig, arrays) -> list[str]:
    if config.task == "regression":
        return []
    if config.task == "binary":
        return arrays.class_names if arrays.class_names and len(arrays.class_names) == 2 else ["0", "1"]
    if arrays.class_names:
        return arrays.class_names
    return [str(c) for c in range(int(arrays.y_train.max()) + 1)]
