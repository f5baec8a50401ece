"""`dlkit validate --explain`: every resolved value of a config with where it came from: the line of
the file (or of a base it extends) that writes it, the `--set` that overrides it, or the default."""

from __future__ import annotations

import json
from typing import Any

from dlkit.config.experiment import ExperimentConfig

DEFAULT = "default"


def explain(config: ExperimentConfig, lines: dict[tuple, str]) -> list[tuple[str, Any, str]]:
    """(dotted key, value, origin) for every leaf of the resolved config, in its order. `lines` maps
    written keys to `file:line` or `--set ...` (`dlkit.config.loader.read_config`)."""
    resolved = config.model_dump(mode="json")
    return [(".".join(map(str, loc)), value, origin(loc, lines)) for loc, value in leaves(resolved)]


def leaves(node: Any, loc: tuple = ()):
    """(path, value) of each value that is not a section: mappings and lists of mappings are walked
    into, a list of plain values (`shape: [28, 28, 1]`) is one value."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaves(value, (*loc, key))
    elif isinstance(node, list) and any(isinstance(item, dict | list) for item in node):
        for i, item in enumerate(node):
            yield from leaves(item, (*loc, i))
    else:
        yield loc, node


def origin(loc: tuple, lines: dict[tuple, str]) -> str:
    """Where the value at `loc` was written; a `type` a shorthand names (`optimizer: adam`, a layer
    given as `flatten`) comes from the line of that shorthand."""
    if loc in lines:
        return lines[loc]
    if loc and loc[-1] == "type" and loc[:-1] in lines:
        return lines[loc[:-1]]
    return DEFAULT


def render(rows: list[tuple[str, Any, str]]) -> str:
    """Aligned `key  value  origin` lines, values as compact JSON."""
    shown = [(key, json.dumps(value, separators=(", ", ": ")), where) for key, value, where in rows]
    key_width = max((len(key) for key, _, _ in shown), default=0)
    value_width = min(max((len(value) for _, value, _ in shown), default=0), 40)
    return "".join(f"{key:<{key_width}}  {value:<{value_width}}  {where}\n" for key, value, where in shown)
