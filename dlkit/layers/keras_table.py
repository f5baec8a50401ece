"""The built-in Keras layers' names, arguments and argument types, kept as data so that `dlkit validate`
can check a model's layers without importing TensorFlow.

`keras_layers.json` is generated from the installed Keras by `python -m dlkit.layers`;
a test regenerates it and fails when Keras changed, so it cannot drift silently.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from pathlib import Path

from dlkit.core.registry import first_sentence, snake_case

TABLE_PATH = Path(__file__).with_name("keras_layers.json")

#: Layers whose arguments are Python objects (functions, other layers, foreign modules) that a
#: YAML file cannot hold safely, plus bases that are not layers by themselves.
EXCLUDED = {
    "Layer",
    "InputLayer",
    "Lambda",
    "Wrapper",
    "Pipeline",
    "RNN",
    "StackedRNNCells",
    "Bidirectional",
    "TimeDistributed",
    "SpectralNormalization",
    "FlaxLayer",
    "JaxLayer",
    "TorchModuleWrapper",
    "TFSMLayer",
}

#: Arguments every Keras layer takes through `Layer.__init__` (`name` is dlkit's own `name:`).
BASE_ARGS = ["trainable", "dtype", "autocast", "activity_regularizer"]

#: What the opening words of a Keras docstring's `Args:` entry say the argument is; first match wins.
#: The tags are `dlkit.layers.ARG_TYPES`; "any" (initializers, regularizers and constraints, which
#: Keras also takes as config mappings) and an argument no rule types take any value, which Keras
#: judges when the model is built.
DOC_TYPES = [
    (r"(\w+ )?(initializer|regularizer|constraint)", "any"),
    (r"(int|integer)s? or (an? )?(tuple|list)", "ints"),
    (r"positive (int|integer)\b", "positive_int"),
    (r"float between 0 and 1\b", "fraction"),
    (r"(python )?(int|integer)\b", "int"),
    (r"(float|floating point)\b", "float"),
    (r"(bool|boolean|whether)\b", "bool"),
    (r"(str|string)\b", "str"),
    (r"activation function\b", "str"),
    (r"(the )?(number|size) of\b", "int"),
]
#: Python types of defaults that say the argument's type (None says nothing).
DEFAULT_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}
#: The defaults each type admits; a default of another type means the docstring tells only part of it.
DEFAULTS_OF = {
    "int": (int,),
    "positive_int": (int,),
    "float": (float, int),
    "fraction": (float, int),
    "bool": (bool,),
    "str": (str,),
    "ints": (int, tuple, list),
}


def arg_docs(doc: str) -> dict[str, str]:
    """The entries of a Google-style `Args:` section, each joined into one line."""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Args:"), None)
    if start is None:
        return {}
    docs: dict[str, str] = {}
    indent, name = None, None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        entry = re.match(r"\s*(\w+)(?: \([^)]*\))?:\s*(.*)", line)
        if depth < indent or (depth == indent and not entry):
            break
        if depth == indent:
            name = entry.group(1)
            docs[name] = entry.group(2)
        elif name:
            docs[name] += " " + line.strip()
    return docs


def arg_type(default, doc: str) -> str | None:
    """The type an argument's docstring states, else its default's; None when neither says, or when
    the entry also allows a tuple, list or dict, or the default is of another type (the docstring
    then tells only part of it, as `use_cudnn: "auto"` documented as "Whether to use cuDNN")."""
    text = re.sub(r"^\W*(optional\W*)?(an? )?", "", doc.lower())
    stated = next((tag for pattern, tag in DOC_TYPES if re.match(pattern, text)), None)
    given = default is not None and default is not inspect.Parameter.empty
    if stated is None and given:
        stated = DEFAULT_TYPES.get(type(default))
    if stated in DEFAULTS_OF and given and type(default) not in DEFAULTS_OF[stated]:
        return None
    if stated != "ints" and re.search(r"\b(tuples?|lists?|dicts?|dictionary|array(_like)?)\b", doc.lower()):
        return None
    return None if stated == "any" else stated


def generate() -> dict:
    """Read names, aliases, arguments and their types off the installed `keras.layers`."""
    from dlkit.core.backend import keras

    layers = keras().layers
    by_class: dict[type, list[str]] = {}
    for public in sorted(dir(layers)):
        obj = getattr(layers, public)
        if inspect.isclass(obj) and issubclass(obj, layers.Layer):
            if public not in EXCLUDED and not public.endswith("Cell"):
                by_class.setdefault(obj, []).append(public)
    base = inspect.signature(layers.Layer.__init__).parameters
    base_docs = arg_docs(inspect.getdoc(layers.Layer) or "")
    table = {}
    for cls, publics in by_class.items():
        primary = cls.__name__ if cls.__name__ in publics else publics[0]
        params = inspect.signature(cls.__init__).parameters.values()
        params = [p for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        required = [p.name for p in params if p.default is p.empty]
        optional = [p.name for p in params if p.default is not p.empty and p.name != "name"]
        optional += [a for a in BASE_ARGS if a not in optional]
        defaults = {a: base[a].default for a in BASE_ARGS} | {p.name: p.default for p in params}
        docs = arg_docs(inspect.getdoc(cls) or "")
        types = {arg: arg_type(defaults[arg], docs.get(arg) or base_docs.get(arg, "")) for arg in required + optional}
        table[snake_case(primary)] = {
            "class": primary,
            "aliases": sorted({snake_case(p) for p in publics} - {snake_case(primary)}),
            "required": required,
            "optional": optional,
            "types": {arg: tag for arg, tag in types.items() if tag is not None},
            "summary": first_sentence(cls.__doc__),
        }
    return dict(sorted(table.items()))


@functools.cache
def load() -> dict:
    return json.loads(TABLE_PATH.read_text())


def write() -> None:
    TABLE_PATH.write_text(json.dumps(generate(), indent=1) + "\n")
