"""Dotted key paths into a raw config (`train.optimizer.learning_rate`, `model.layers.0.filters`):
parsing them, setting a value at one (`--set`, a search's trial), and where each key is written
(`file:line`, or the `--set`), so an error can point at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dlkit.config.yaml_safe import load_yaml
from dlkit.core.errors import ConfigError


def parse_key(key: str) -> tuple:
    """`model.layers.0.filters` -> ('model', 'layers', 0, 'filters')."""
    return tuple(int(p) if p.lstrip("-").isdigit() else p for p in key.strip().split("."))


def key_lines(root, path: Path) -> tuple[dict[tuple, str], set[tuple]]:
    """(`file:line` of each key and list item under `root`, the keys whose values are lists)."""
    lines: dict[tuple, str] = {}
    lists: set[tuple] = set()

    def walk(node, loc: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                here = (*loc, key_node.value)
                lines[here] = f"{path}:{key_node.start_mark.line + 1}"
                walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            lists.add(loc)
            for i, item in enumerate(node.value):
                lines[(*loc, i)] = f"{path}:{item.start_mark.line + 1}"
                walk(item, (*loc, i))

    walk(root, ())
    return lines, lists


def where_written(loc: tuple, lines: dict[tuple, str], source: str, missing: bool = False) -> str:
    """The place of the longest prefix of `loc` that the file writes, else the file itself.

    A `missing` key must be added to `source` (the file given, not a base it extends): at the line
    of its nearest written section when `source` itself writes it, else the file alone."""
    for end in range(len(loc) - missing, 0, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            place = lines[key]
            return place if not missing or place.rpartition(":")[0] == str(Path(source)) else source
    return source


def apply_override(data: dict, assignment: str) -> None:
    """`--set train.optimizer.learning_rate=3e-4`: a dotted key (list items by index), a YAML value."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {assignment}: expected KEY=VALUE, e.g. --set train.epochs=3")
    try:
        value = load_yaml(raw, f"--set {key.strip()}")[0] if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    set_path(data, key.strip(), value, f"--set {key.strip()}")


def set_path(data: dict, key: str, value: Any, label: str) -> None:
    """Set the dotted `key` (list items by index) to `value`; a ConfigError starts with `label`."""
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.lstrip("-").isdigit() or not -len(node) <= int(part) < len(node):
                raise ConfigError(f"{label}: {here}: no item {part} in a list of {len(node)}")
            part = int(part)
        if last:
            node[part] = value
            break
        child = node[part] if isinstance(node, list) else node.get(part)
        if child is None:
            child = {}
        elif isinstance(child, str):  # `optimizer: adam` gains arguments: `{type: adam, ...}`
            child = {"type": child}
        elif not isinstance(child, (dict, list)):
            raise ConfigError(f"{label}: {here} is a value, not a section")
        node[part] = child
        node = child


def set_lines(lines: dict[tuple, str], assignment: str) -> dict[tuple, str]:
    """`lines` after `--set KEY=VALUE`: the key and the sections on its way that the file does not
    write (`trian.epochs=5`) are the --set's."""
    key = parse_key(assignment.partition("=")[0])
    lines = {k: v for k, v in lines.items() if k[: len(key)] != key}
    place = f"--set {assignment if len(assignment) <= 80 else assignment[:77] + '...'}"
    return lines | {key[:n]: place for n in range(1, len(key) + 1) if key[:n] not in lines}
