"""`dlkit schema`: a JSON Schema (draft 7, what yaml-language-server reads) of the whole experiment
file, so an editor completes keys and marks a typo before anything runs.

pydantic's schema of each task's config model is the base; a field holding a registry entry refers
to that registry's schema (its names as an enum, each entry's arguments: a layer's come from the
Keras table), and `data.options` takes the options of the dataset named. A config with `extends:`
may leave out any key of a section (its base may have it), not a registry entry's `type:`.
Importing this loads no TensorFlow."""

from __future__ import annotations

import json
import re

from pydantic.json_schema import models_json_schema

from dlkit.config.experiment import DEFAULT_TASK
from dlkit.core.json_schema import REF_TEMPLATE, DescribedSchema
from dlkit.core.registries import DATASETS, REGISTRIES, TASKS
from dlkit.core.registry import Registry

DRAFT_7 = "http://json-schema.org/draft-07/schema#"
#: Where shipped configs find the schema (`# yaml-language-server: $schema=../dlkit.schema.json`).
SHIPPED = "dlkit.schema.json"
REGENERATE = "dlkit schema -o dlkit.schema.json"
_REF = re.compile(r'"#/definitions/([^"]+)"')
_REGISTRY_DEF = re.compile(r'"#/definitions/registry\.(\w+)"')
#: The definitions of configs that extend a base (any key may come from the base).
PARTIAL = "partial."


def spellings(registry: Registry, name: str) -> list[str]:
    """The names a YAML file may write for an entry: its own, its aliases and, for a layer, the
    Keras class name (`Conv2D`). dlkit also takes other capitalisations; editors need a list."""
    aliases = next(a for n, _, a in registry.describe() if n == name)
    keras_class = getattr(registry.get(name), "keras_class", "")
    return list(dict.fromkeys([name, *aliases, *([keras_class] if keras_class else [])]))


def schema() -> dict:
    """The schema of an experiment file, as `dlkit schema` prints it."""
    listings: set[str] = set()
    while True:  # registries' entries may hold entries of further registries
        models = [(TASKS.get(t).config, "validation") for t in TASKS.names()]
        models += [(DATASETS.get(d), "validation") for d in DATASETS.names()]
        models += [(REGISTRIES[r].get(n), "validation") for r in sorted(listings) for n in REGISTRIES[r].names()]
        refs, top = models_json_schema(models, ref_template=REF_TEMPLATE, schema_generator=DescribedSchema)
        found = set(_REGISTRY_DEF.findall(json.dumps(top))) & set(REGISTRIES)
        if found <= listings:
            break
        listings |= found
    definitions = top.get("$defs", {})
    ref = {model: refs[(model, "validation")]["$ref"] for model, _ in models}
    for listing in sorted(listings):
        definitions[f"registry.{listing}"] = _registry(REGISTRIES[listing], ref, definitions)
    options = {d: ref[DATASETS.get(d)] for d in DATASETS.names()}
    for d in DATASETS.names():
        _describe(definitions, ref[DATASETS.get(d)], DATASETS, d)
    _data_options(definitions, options)
    tasks = {}
    for t in TASKS.names():
        tasks[t] = ref[TASKS.get(t).config]
        _task(definitions[_name(tasks[t])])
    return _root(tasks, definitions)


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def _describe(definitions: dict, ref: str, registry: Registry, name: str) -> None:
    entry = definitions[_name(ref)]
    entry.pop("title", None)
    summary = next(s for n, s, _ in registry.describe() if n == name)
    if summary:
        entry["description"] = summary


def _registry(registry: Registry, ref: dict, definitions: dict) -> dict:
    """A bare name or `{type: name, ...}` with that entry's arguments."""
    every, cases = [], []
    for name in registry.names():
        names = spellings(registry, name)
        every += names
        target = ref[registry.get(name)]
        _describe(definitions, target, registry, name)
        entry = definitions[_name(target)]
        entry["properties"] = {"type": {"enum": names}, **entry.get("properties", {})}
        entry["required"] = list(dict.fromkeys(["type", *entry.get("required", [])]))
        cases.append(
            {
                "if": {"type": "object", "properties": {"type": {"enum": names}}, "required": ["type"]},
                "then": {"$ref": target},
            }
        )
    return {
        "description": f"A {registry.kind}: a name or a mapping with `type:` (`dlkit list {registry.listing}`).",
        # if/then/else rather than anyOf, so that a typo is reported as itself, not as "no match".
        "type": ["string", "object"],
        "if": {"type": "string"},
        "then": {"enum": every},
        "else": {"required": ["type"], "properties": {"type": {"enum": every}}, "allOf": cases},
    }


def _task(definition: dict) -> None:
    """A task's config (tasks may share one: the root picks it by `task:`), with `extends:`."""
    definition.pop("title", None)
    properties = definition["properties"]
    properties["task"] = {**properties["task"], "enum": [n for t in TASKS.names() for n in spellings(TASKS, t)]}
    properties["extends"] = {
        "type": "string",
        "description": "A base config (a path relative to this file) deep-merged under this one; lists replace.",
    }


def _data_options(definitions: dict, options: dict[str, str]) -> None:
    """`data.dataset` one of the datasets' names, `data.options` that dataset's options."""
    data = definitions["DataConfig"]
    data["properties"]["dataset"]["enum"] = [n for d in options for n in spellings(DATASETS, d)]
    data["allOf"] = [
        {
            "if": {"properties": {"dataset": {"enum": spellings(DATASETS, d)}}, "required": ["dataset"]},
            "then": {"properties": {"options": {"$ref": ref}}},
        }
        for d, ref in options.items()
    ]


def _root(tasks: dict[str, str], definitions: dict) -> dict:
    """Each task's config by `task:` (the default task when there is none); a file that extends a
    base takes the partial one (of any task, when the base may name it)."""
    partial = _partial(definitions, tasks)
    given, extends = {"required": ["task"]}, {"required": ["extends"]}
    cases = []
    for t, ref in tasks.items():
        named = {"properties": {"task": {"enum": spellings(TASKS, t)}}, "required": ["task"]}
        cases.append({"if": {**named, "not": extends}, "then": {"$ref": ref}})
        cases.append({"if": {**named, "required": ["task", "extends"]}, "then": {"$ref": partial[t]}})
    cases += [
        {"if": {"not": {"anyOf": [given, extends]}}, "then": {"$ref": tasks[DEFAULT_TASK]}},
        {"if": {**extends, "not": given}, "then": _any_task(definitions, partial)},
    ]
    return {
        "$schema": DRAFT_7,
        "title": "dlkit experiment",
        "description": "A dlkit experiment file (`dlkit train CONFIG`); generated by `dlkit schema`.",
        "type": "object",
        "properties": {"task": {"enum": [n for t in tasks for n in spellings(TASKS, t)]}},
        "allOf": cases,
        "definitions": dict(sorted(definitions.items())),
    }


def _any_task(definitions: dict, partial: dict[str, str]) -> dict:
    """A config whose base names the task: each key as any task's config takes it. A section all
    tasks share (data:) is that section's schema, so its errors are precise."""
    takes: dict[str, list[dict]] = {}
    for ref in partial.values():
        for key, prop in definitions[_name(ref)]["properties"].items():
            shapes = takes.setdefault(key, [])
            shape = {k: v for k, v in prop.items() if k not in ("default", "description")}
            if shape not in shapes:
                shapes.append(shape)
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {key: shapes[0] if len(shapes) == 1 else {"anyOf": shapes} for key, shapes in takes.items()},
    }


def _partial(definitions: dict, tasks: dict[str, str]) -> dict[str, str]:
    """Copies of the task configs and the sections under them with no key required: a file that
    extends a base may leave out any key its base has (mappings deep-merge). Registries' entries
    (a layer, an optimizer) stay whole: a list replaces its base's, and an entry names its `type:`."""
    sections, todo = set(), [_name(ref) for ref in tasks.values()]
    while todo:
        name = todo.pop()
        if name not in sections:
            sections.add(name)
            todo += [r for r in _REF.findall(json.dumps(definitions[name])) if not r.startswith("registry.")]

    def to_partial(match: re.Match) -> str:
        name = match.group(1)
        return f'"#/definitions/{PARTIAL}{name}"' if name in sections else match.group(0)

    for name in sections:
        copy = json.loads(_REF.sub(to_partial, json.dumps(definitions[name])))
        copy.pop("required", None)
        definitions[PARTIAL + name] = copy
    return {t: f"#/definitions/{PARTIAL}{_name(ref)}" for t, ref in tasks.items()}


def dumps(value: dict) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"
