"""dlkit: train Keras 3 models from a YAML experiment file.

The plug-in API (docs/extending.md): a plug-in is a Python file, listed in a config's `plugins:` or
given as `--plugin FILE`, whose decorators register components under a name configs then use:

    @dlkit.register_layer()          a Keras layer class          model.layers: [{type: name, ...}]
    @dlkit.register_dataset()        a `dlkit.data.Dataset`       data.dataset: name
    @dlkit.register_preprocess()     a `dlkit.data.preprocess.Step`  data.preprocess / data.augment
    @dlkit.register_metric()         a `dlkit.training.metrics.Metric`  train.metrics
    @dlkit.register_loss()           a `dlkit.training.losses.Loss`     train.loss
    @dlkit.register_callback()       a `dlkit.training.callbacks.Callback`  train.callbacks
    @dlkit.register_task()           a `dlkit.tasks.Task`         task: name

Each takes an optional name (default: the class name in snake_case) and `aliases=`. Nothing here
imports TensorFlow until a decorator runs.
"""

from dlkit.version import __version__


def register_layer(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    """Class decorator for a `keras.layers.Layer` subclass: its constructor's arguments become the
    entry's keys, and Keras may load models holding it in safe mode."""
    from dlkit.layers.user import register_layer as register

    return register(name, aliases=aliases)


def register_dataset(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    from dlkit.data.dataset import DATASETS

    return DATASETS.register(name, aliases=aliases)


def register_preprocess(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    from dlkit.data.preprocess import PREPROCESS

    return PREPROCESS.register(name, aliases=aliases)


def register_metric(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    from dlkit.training.metrics import METRICS

    return METRICS.register(name, aliases=aliases)


def register_loss(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    from dlkit.training.losses import LOSSES

    return LOSSES.register(name, aliases=aliases)


def register_callback(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    from dlkit.training.callbacks import CALLBACKS

    return CALLBACKS.register(name, aliases=aliases)


def register_task(name: str | None = None, *, aliases: tuple[str, ...] = ()):
    from dlkit.tasks import TASKS

    return TASKS.register(name, aliases=aliases)


__all__ = [
    "__version__",
    "register_callback",
    "register_dataset",
    "register_layer",
    "register_loss",
    "register_metric",
    "register_preprocess",
    "register_task",
]
