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

Each takes an optional name (default: the class name in snake_case) and `aliases=`, and works as
`@dlkit.register_layer`, `@dlkit.register_layer("name")` or a call `dlkit.register_layer(MyLayer)`.
Nothing here imports TensorFlow until a decorator runs.
"""

import dlkit.timings  # noqa: F401  (reads the process's start before dlkit runs anything)
from dlkit.version import __version__


def _registrar(what: str, decorator_of, doc: str):
    """`dlkit.register_<what>`, used in any of the three forms people write: `@register_x`,
    `@register_x("name", aliases=...)` or `register_x(MyClass)`; anything else is a TypeError that
    names the right form. `decorator_of(name, aliases)` gives the registry's own class decorator."""
    form = f"write @dlkit.register_{what}() above the class, or call dlkit.register_{what}(TheClass)"

    def check(cls):
        if not isinstance(cls, type):
            raise TypeError(f"dlkit.register_{what}: registers a class; {form}. Received: {cls!r}")
        return cls

    def registrar(name=None, *, aliases: tuple[str, ...] = ()):
        if isinstance(name, type):  # `@register_x` or `register_x(MyClass)`
            return decorator_of(None, tuple(aliases))(name)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"dlkit.register_{what}: expected a class or a name; {form}. Received: {name!r}")
        if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
            raise TypeError(f"dlkit.register_{what}: aliases= takes a tuple of names. Received: {aliases!r}")
        decorator = decorator_of(name, tuple(aliases))
        return lambda cls: decorator(check(cls))

    registrar.__name__ = registrar.__qualname__ = f"register_{what}"
    registrar.__doc__ = doc
    return registrar


def _layers(name, aliases):
    from dlkit.layers.user import register_layer

    return register_layer(name, aliases=aliases)


def _in(module: str, registry: str):
    """The `register` decorator of the registry `module.registry`, imported when first used."""

    def decorator_of(name, aliases):
        import importlib

        return getattr(importlib.import_module(module), registry).register(name, aliases=aliases)

    return decorator_of


register_layer = _registrar(
    "layer",
    _layers,
    "Register a `keras.layers.Layer` subclass: its constructor's arguments become the entry's keys, and "
    "Keras may load models holding it in safe mode.",
)
register_dataset = _registrar("dataset", _in("dlkit.data.dataset", "DATASETS"), "Register a `dlkit.data.Dataset`.")
register_preprocess = _registrar(
    "preprocess", _in("dlkit.data.preprocess", "PREPROCESS"), "Register a `dlkit.data.preprocess.Step`."
)
register_metric = _registrar(
    "metric", _in("dlkit.training.metrics", "METRICS"), "Register a `dlkit.training.metrics.Metric`."
)
register_loss = _registrar("loss", _in("dlkit.training.losses", "LOSSES"), "Register a `dlkit.training.losses.Loss`.")
register_callback = _registrar(
    "callback", _in("dlkit.training.callbacks", "CALLBACKS"), "Register a `dlkit.training.callbacks.Callback`."
)
register_task = _registrar("task", _in("dlkit.tasks", "TASKS"), "Register a `dlkit.tasks.Task`.")


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
