"""`dlkit schema`: a JSON Schema (draft 7, what yaml-language-server reads) of the whole experiment
file, so an editor completes keys and marks a typo before anything runs.

pydantic's schema of each task's config model is the base; a field holding a registry entry refers
to that registry's schema (its names as an enum, each entry's arguments: a layer's come from the
Keras table), and `data.options` takes the options of the dataset named. Configs with `extends:`
may leave out what their base has: only the sections are then optional, not keys inside them.
Importing this loads no TensorFlow."""

from __future__ import annotations

import json
import re

from pydantic.json_schema import models_json_schema

from dlkit.data.dataset import DATASETS
from dlkit.json_schema import REF_TEMPLATE, DescribedSchema
from dlkit.registries import REGISTRIES
from dlkit.registry import Registry
from dlkit.tasks import DEFAULT_TASK, TASKS

DRAFT_7 = "http://json-schema.org/draft-07/schema#"
#: Where shipped configs find the schema (`# yaml-language-server: $schema=../dlkit.schema.json`).
SHIPPED = "dlkit.schema.json"
REGENERATE = "dlkit schema -o dlkit.schema.json"
_REGISTRY_DEF = re.compile(r'"#/definitions/registry\.(\w+)"')


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
        entry["required"] = ["type", *entry.get("required", [])]
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
    definition.pop("required", None)  # the root requires data and model unless the file extends a base
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
    """Each task's config by `task:` (the default task when there is none, any task's when a base
    config may name it); `data` and `model` required unless the file extends a base."""
    task_names = [n for t in tasks for n in spellings(TASKS, t)]
    given = {"required": ["task"]}
    cases = [
        {"if": {"properties": {"task": {"enum": spellings(TASKS, t)}}, **given}, "then": {"$ref": ref}}
        for t, ref in tasks.items()
    ]
    cases += [
        {"if": {"not": {"anyOf": [given, {"required": ["extends"]}]}}, "then": {"$ref": tasks[DEFAULT_TASK]}},
        {
            "if": {"required": ["extends"], "not": given},
            "then": {"anyOf": [{"$ref": ref} for ref in tasks.values()]},
        },
        {"if": {"not": {"required": ["extends"]}}, "then": {"required": ["data", "model"]}},
    ]
    return {
        "$schema": DRAFT_7,
        "title": "dlkit experiment",
        "description": "A dlkit experiment file (`dlkit train CONFIG`); generated by `dlkit schema`.",
        "type": "object",
        "properties": {"task": {"enum": task_names}},
        "allOf": cases,
        "definitions": dict(sorted(definitions.items())),
    }


def dumps(value: dict) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"
