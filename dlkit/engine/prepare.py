"""From config to split arrays: load the dataset, check its labels against the task, split it
(seeded). Training, `dlkit eval` and the commands that open a run call it and get the same splits."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from dlkit.core.errors import ConfigError
from dlkit.core.strict import did_you_mean
from dlkit.data.dataset import Arrays
from dlkit.data.prepared import PreparedData
from dlkit.data.rows import Rows
from dlkit.data.splits import make_splits
from dlkit.data.stream import streamed_splits
from dlkit.engine.targets import check_target
from dlkit.engine.task import task_of

if TYPE_CHECKING:
    from dlkit.config.experiment import ExperimentConfig


def prepare_data(config: ExperimentConfig) -> PreparedData:
    """The splits training uses; `dlkit eval` calls this again and gets the same ones. The task
    checks (and encodes) the labels and says whether splits keep each class's share."""
    task = task_of(config)
    loader = config.data.loader()
    arrays = loader.load()
    check_target(task, arrays)
    class_names = task.labels(arrays)
    split = config.data.split
    fingerprint = arrays.fingerprint()
    rows = arrays.rows or _examples(arrays)
    if hasattr(arrays.x_train, "row_parts"):  # a streamed table, split by a hash as it was read
        splits = streamed_splits(arrays, split, config.data.cache)
        return PreparedData(splits, class_names, fingerprint, loader, _about(arrays), rows)
    arrays, groups = _without_group(arrays, split.group)
    if groups is None and arrays.groups is not None:
        if split.ordered:
            raise ConfigError(
                "data.options.duplicates: group keeps identical rows in one split; data.split.ordered keeps "
                "the order: set one of them"
            )
        groups = arrays.groups
    splits = make_splits(
        arrays,
        validation=split.validation,
        test=split.test,
        seed=config.seed,
        stratify=task.stratify,
        ordered=split.ordered,
        folds=split.folds,
        fold=split.fold,
        repeat=split.repeat,
        class_names=class_names,
        groups=groups,
    )
    return PreparedData(splits, class_names, fingerprint, loader, _about(arrays), rows)


def _about(arrays: Arrays) -> Arrays:
    """What the loader said about its data, less the examples."""
    return dataclasses.replace(
        arrays, x_train=None, y_train=None, x_test=None, y_test=None, example_shape=arrays.shape, groups=None
    )


def _examples(arrays: Arrays) -> Rows:
    """What a loader that reads no table read: every example, none left out."""
    test = 0 if arrays.y_test is None else len(arrays.y_test)
    return Rows(len(arrays.y_train) + test, noun="example", compare=arrays.decode is None)


def prepare_run_data(config: ExperimentConfig) -> PreparedData:
    """`prepare_data` for a run folder's config (eval, attack, export): a run folder copied from
    elsewhere names its data where it was trained, so a data file missing here gets the way to say
    where it is."""
    from dlkit.data.peek import OptionError

    try:
        return prepare_data(config)
    except OptionError as e:
        if not e.message.startswith("no such"):
            raise
        key = ".".join(map(str, e.key))
        raise OptionError(
            e.key, f"{e.message}; the run folder names its data where it was trained: give its place here "
            f"with --set data.options.{key}=PATH"
        ) from None  # fmt: skip


def _without_group(arrays: Arrays, column: str | None) -> tuple[Arrays, np.ndarray | None]:
    """The table less its `data.split.group` column (no model input), and that column's values."""
    if column is None:
        return arrays, None
    if not isinstance(arrays.x_train, dict):
        raise ConfigError(f"data.split.group: {column!r}: only table datasets (csv) have columns to group by")
    if column not in arrays.x_train:
        hint = did_you_mean(column, arrays.x_train)
        raise ConfigError(f"data.split.group: no column {column!r} among the inputs; {hint}")
    x_train = {name: values for name, values in arrays.x_train.items() if name != column}
    x_test = None if arrays.x_test is None else {k: v for k, v in arrays.x_test.items() if k != column}
    features = [name for name in arrays.feature_names or x_train if name != column]
    changed = dataclasses.replace(
        arrays, x_train=x_train, x_test=x_test, feature_names=features, example_shape=(len(features),)
    )
    return changed, arrays.x_train[column]
