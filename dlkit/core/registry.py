"""One registry mechanism for every family of named components (layers, datasets, steps, ...).

A component is written in YAML as a mapping with `type:` plus its arguments, or as a bare name.
Each registered entry is a `Spec`: a strict pydantic model whose fields are those arguments and whose
`build()` makes the real object, importing TensorFlow only then. Names are matched loosely, so
`max_pooling2d`, `MaxPooling2D` and `maxpooling2d` are the same entry.

The modules that register a registry's entries (its `locations`) are imported when it is first used.
For a registry spread over several modules (the tasks, the dataset loaders, ...), looking up one name
imports only the module that registers it: `registry_index.json`, written by
`python -m dlkit.core.registry_index`, records which module that is. The index can only make a lookup
fast, never wrong: a name it lacks, or that its module does not register, imports every location as
before; and tests/unit/core/test_registry_index.py fails when it differs from what the modules
register. Listing, the schema and an unknown name's hint import every location.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, model_serializer

from dlkit.core.strict import Strict, clipped, did_you_mean, listed, loose_key, raise_at


def snake_case(name: str) -> str:
    """`MaxPooling2D` -> `max_pooling2d`, `LeakyReLU` -> `leaky_relu`, `LSTM` -> `lstm`."""
    name = re.sub(r"(\d)D", r"\1d", name.replace("ReLU", "Relu"))
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class UnknownNameError(ValueError):
    """A `type:` that no entry of the registry answers to."""


class Spec(Strict):
    """A registered component's arguments; subclasses add fields and a `build` method."""

    type_name: ClassVar[str] = ""
    #: Whether the resolved config shows every argument, or only those the user set.
    dump_defaults: ClassVar[bool] = True

    @model_serializer(mode="wrap")
    def _dump_with_type(self, handler: Callable[[Any], dict]) -> dict:
        fields = handler(self)
        if not self.dump_defaults:
            fields = {k: v for k, v in fields.items() if k in self.model_fields_set}
        return {"type": self.type_name, **fields}

    def args(self) -> dict[str, Any]:
        """The arguments as keyword arguments (without `type`)."""
        return {k: v for k, v in self.model_dump().items() if k != "type"}


class KerasSpec(Spec):
    """A Spec that makes `keras.<keras_module>.<keras_class>(**arguments)`."""

    keras_module: ClassVar[str] = ""
    keras_class: ClassVar[str] = ""

    def keras_type(self) -> type:
        from dlkit.core.backend import keras

        return getattr(getattr(keras(), self.keras_module), self.keras_class)

    def build(self):
        return self.keras_type()(**self.args())


class Registry:
    """Named `Spec` classes of one kind; `parse` validates a YAML entry, `build` makes the object."""

    def __init__(
        self, kind: str, listing: str, *, locations: tuple[str, ...] = (), index: dict[str, str] | None = None
    ):
        self.kind = kind
        #: The argument of `dlkit list` that shows this registry.
        self.listing = listing
        self._names: dict[str, str] = {}  # loose key -> canonical name
        self._entries: dict[str, Any] = {}  # a Spec class, or a function making one (lazy)
        self._lazy: set[str] = set()
        self._summaries: dict[str, str] = {}
        self._aliases: dict[str, list[str]] = {}
        #: The modules that register entries here, imported on first use, so that nothing that only
        #: names an entry imports them; `package.*` is every module of the package, so that a new
        #: entry is a new file there (the tasks, the export formats).
        self.locations = locations
        self._pending = bool(locations)  # locations not all imported yet
        #: Loose key of a name or alias -> the module that registers it (`registry_index.json`).
        self._index = {loose_key(name): module for name, module in (index or {}).items()}
        #: The module that defined each entry (what `registry_index.json` records).
        self._modules: dict[str, str] = {}

    def modules(self) -> list[str]:
        """The location modules, `package.*` expanded to the package's modules (importing the package)."""
        import pkgutil

        found = []
        for location in self.locations:
            name = location.removesuffix(".*")
            if location.endswith(".*"):
                package = importlib.import_module(name)
                found += [f"{name}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
            else:
                found.append(name)
        return found

    def _discover(self) -> None:
        """Import every location (once)."""
        if self._pending:
            self._pending = False
            for module in self.modules():
                importlib.import_module(module)

    def _load(self, key: str) -> None:
        """Import what registers the loose key `key`: its module in the index, else every location."""
        if key in self._names or not self._pending:
            return
        if key in self._index:
            self._import(self._index[key])
        if key not in self._names:
            self._discover()

    def _import(self, module: str) -> None:
        """Import an indexed module; one that is gone (a stale index) means importing every location."""
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            self._discover()

    def _before_adding(self, spellings) -> None:
        """Import whatever registers any of `spellings` already, so that a clash is caught now: the
        indexed module of each (that of the entry being added is being imported), else every location."""
        for key in map(loose_key, spellings):
            if not self._pending:
                return
            module = self._index.get(key)
            if module is None:
                self._discover()
            elif module not in sys.modules:
                self._import(module)

    def module_of(self, name: str) -> str:
        """The module that defined the entry `name` (`registry_index.json` records it)."""
        return self._modules[self.canonical(name)]

    def register(self, name: str | None = None, *, aliases: tuple[str, ...] = ()):
        """Class decorator: `@DATASETS.register()` registers a Spec under its snake_case name."""

        def decorator(cls: type[Spec]) -> type[Spec]:
            self.add(name or snake_case(cls.__name__), cls, summary=first_sentence(cls.__doc__), aliases=aliases)
            return cls

        return decorator

    def add(self, name: str, entry, *, summary: str = "", aliases=(), lazy: bool = False) -> None:
        """Add `entry` (a Spec class, or with `lazy=True` a function returning one) under `name`."""
        self._before_adding((name, *aliases))
        for alias in (name, *aliases):
            if loose_key(alias) in self._names:
                raise ValueError(f"{self.kind} {alias!r} is registered twice")
            self._names[loose_key(alias)] = name
        if lazy:
            self._lazy.add(name)
        else:
            entry.type_name = name
        self._entries[name] = entry
        self._summaries[name] = summary
        self._aliases[name] = list(aliases)
        self._modules[name] = getattr(entry, "__module__", "")

    def canonical(self, name: str) -> str:
        """The registered name `name` stands for; an unknown name gets the closest one."""
        self._load(loose_key(str(name)))
        found = self._names.get(loose_key(str(name)))
        if found is None:
            spellings = [*self._entries, *(a for aliases in self._aliases.values() for a in aliases)]
            hint = did_you_mean(snake_case(str(name)), spellings, listing=False)
            pointer = f"`dlkit list {self.listing}` shows all {len(self._entries)}"
            if not hint:  # nothing close: a short registry names its entries, a long one points to them
                hint = f"valid: {listed(self._entries)}" if len(self._entries) <= 8 else pointer
            # A hint that already ends in a parenthesis (another framework's name) takes the pointer in it.
            elif hint.endswith(")"):
                hint = f"{hint[:-1]}; {pointer})"
            else:
                hint = f"{hint} ({pointer})"
            raise UnknownNameError(f"unknown {self.kind} {clipped(name)}; {hint}")
        return found

    def get(self, name: str) -> type[Spec]:
        canonical = self.canonical(name)
        if canonical in self._lazy:
            self._entries[canonical] = self._entries[canonical]()
            self._entries[canonical].type_name = canonical
            self._lazy.discard(canonical)
        return self._entries[canonical]

    def __contains__(self, name: str) -> bool:
        self._load(loose_key(str(name)))
        return loose_key(str(name)) in self._names

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._entries)

    def describe(self) -> list[tuple[str, str, list[str]]]:
        """(name, one-line summary, aliases) for `dlkit list`."""
        return [(n, self._summaries[n], self._aliases[n]) for n in self.names()]

    def parse(self, value: Any) -> Spec:
        """A YAML entry (`name` or `{type: name, ...}`) as a validated Spec instance."""
        if isinstance(value, Spec):
            return value
        if isinstance(value, str):
            value = {"type": value}
        if not isinstance(value, dict):
            raise ValueError(f"expected a {self.kind} name or a mapping with 'type:'")
        if "type" not in value:
            raise ValueError(f"a {self.kind} mapping needs a 'type:' key")
        args = dict(value)
        name = args.pop("type")
        try:
            entry = self.get(name)
        except UnknownNameError as e:
            raise_at(("type",), str(e), name)
        return entry.model_validate(args)

    def build(self, value: Any, **context: Any) -> Any:
        return self.parse(value).build(**context)

    @property
    def field(self) -> Any:
        """The pydantic type of a config field holding one entry of this registry."""
        return Annotated[Any, BeforeValidator(self.parse)]


def first_sentence(doc: str | None) -> str:
    """A docstring's first sentence, whole even when it runs over several lines (`dlkit list`'s summary)."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    # Not after an abbreviation's inner dots (e.g., i.e., a.k.a.).
    return re.split(r"(?<=[.!?])(?<!\.[A-Za-z]\.)\s+(?=[A-Z`(])", paragraph, maxsplit=1)[0]
