"""dlkit: train Keras 3 models from a YAML experiment file.

The plug-in API (docs/extending.md): a plug-in is a Python file, listed in a config's `plugins:` or
given as `--plugin FILE`, whose decorators register components under a name configs then use:

    @dlkit.register_layer()          a Keras layer class     model.layers: [{type: name, ...}]
    @dlkit.register_dataset()        a `dlkit.Dataset`       data.dataset: name
    @dlkit.register_preprocess()     a `dlkit.Step`          data.preprocess / data.augment
    @dlkit.register_metric()         a `dlkit.Metric`        train.metrics
    @dlkit.register_loss()           a `dlkit.Loss`          train.loss
    @dlkit.register_callback()       a `dlkit.Callback`      train.callbacks
    @dlkit.register_task()           a `dlkit.Task`          task: name

Each takes an optional name (default: the class name in snake_case) and `aliases=`, and works as
`@dlkit.register_layer`, `@dlkit.register_layer("name")` or a call `dlkit.register_layer(MyLayer)`.
The base classes are top-level names, whatever file holds them (`class MyLoss(dlkit.Loss)`), and
so are the errors a plug-in raises (`dlkit.DataError`). Nothing here imports TensorFlow until a
decorator runs or a base class is first used.
"""

import sys

import dlkit.core.timings  # noqa: F401  (reads the process's start before dlkit runs anything)
from dlkit.core import errors
from dlkit.core.errors import ConfigError, DataError, DlkitError, UsageError
from dlkit.core.version import __version__

# The errors' old path, which plug-ins import (`from dlkit.errors import DataError`): kept for one release.
sys.modules.setdefault("dlkit.errors", errors)

#: The plug-in API's base classes by public name: (module, name), imported on first use (PEP 562).
_PUBLIC = {
    "Dataset": ("dlkit.data.dataset", "Dataset"),
    "Arrays": ("dlkit.data.dataset", "Arrays"),
    "Step": ("dlkit.data.preprocess", "Step"),
    "Loss": ("dlkit.components.losses", "Loss"),
    "Metric": ("dlkit.components.metrics", "Metric"),
    "Callback": ("dlkit.components.callbacks", "Callback"),
    "Attack": ("dlkit.components.attacks", "Attack"),
    "Task": ("dlkit.engine.task", "Task"),
    "Table": ("dlkit.engine.task", "Table"),
    "Report": ("dlkit.engine.task", "Report"),
    "Baseline": ("dlkit.engine.task", "Baseline"),
}


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'dlkit' has no attribute {name!r}")
    import importlib

    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # found once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


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


def _on(root: str):
    """The `register` decorator of the registry root `root` (`dlkit.core.registries`), found when used."""

    def decorator_of(name, aliases):
        from dlkit.core import registries

        return getattr(registries, root).register(name, aliases=aliases)

    return decorator_of


register_layer = _registrar(
    "layer",
    _layers,
    "Register a `keras.layers.Layer` subclass: its constructor's arguments become the entry's keys, and "
    "Keras may load models holding it in safe mode.",
)
register_dataset = _registrar("dataset", _on("DATASETS"), "Register a `dlkit.Dataset`.")
register_preprocess = _registrar("preprocess", _on("PREPROCESS"), "Register a `dlkit.Step`.")
register_metric = _registrar("metric", _on("METRICS"), "Register a `dlkit.Metric`.")
register_loss = _registrar("loss", _on("LOSSES"), "Register a `dlkit.Loss`.")
register_callback = _registrar("callback", _on("CALLBACKS"), "Register a `dlkit.Callback`.")
register_task = _registrar("task", _on("TASKS"), "Register a `dlkit.Task`.")

__all__ = [
    "__version__",
    "ConfigError",
    "DataError",
    "DlkitError",
    "UsageError",
    *_PUBLIC,
    "register_callback",
    "register_dataset",
    "register_layer",
    "register_loss",
    "register_metric",
    "register_preprocess",
    "register_task",
]
