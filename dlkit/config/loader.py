"""Reading an experiment file: safe YAML, `extends:`, `--set` overrides, and errors users can read.

`extends: base.yaml` (relative to the file) deep-merges this file over the base: mappings merge key by
key, anything else (lists included) replaces the base's value wholesale. A base may extend another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dlkit.config.experiment import ExperimentConfig
from dlkit.errors import ConfigError


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML (no Python tags) that also refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_config_file(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """The file's mapping with its `extends:` chain merged in."""
    path = Path(path)
    if path.resolve() in _chain:
        raise ConfigError(f"{path}: extends: circular chain ({' -> '.join(p.name for p in (*_chain, path))})")
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of sections (name:, data:, model:, ...)")
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"{path}: extends: expected a path to a base config. Received: {base!r}")
    return deep_merge(read_config_file(path.parent / base, (*_chain, path.resolve())), data)


def key_lines(path: Path, _chain: tuple[Path, ...] = ()) -> dict[tuple, str]:
    """`file:line` of every key and list item in the file and its `extends:` chain (the file's own
    over its base's), so an error can say where its key is written."""
    path = Path(path)
    if path.resolve() in _chain:
        return {}
    try:
        root = yaml.compose(path.read_text(), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return {}
    lines: dict[tuple, str] = {}

    def walk(node, loc: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                here = (*loc, key_node.value)
                lines[here] = f"{path}:{key_node.start_mark.line + 1}"
                walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*loc, i)] = f"{path}:{item.start_mark.line + 1}"
                walk(item, (*loc, i))

    walk(root, ())
    base = root.value if isinstance(root, yaml.MappingNode) else []
    extends = next((v.value for k, v in base if k.value == "extends" and isinstance(v, yaml.ScalarNode)), None)
    if extends:
        return key_lines(path.parent / extends, (*_chain, path.resolve())) | lines
    return lines


def where_written(loc: tuple, lines: dict[tuple, str], source: str) -> str:
    """The place of the longest prefix of `loc` that the file writes, else the file itself."""
    for end in range(len(loc), 0, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return source


def apply_override(data: dict, assignment: str) -> None:
    """`--set train.optimizer.learning_rate=3e-4`: a dotted key (list items by index), a YAML value."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {assignment}: expected KEY=VALUE, e.g. --set train.epochs=3")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
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


def format_error(error: dict) -> str:
    """One pydantic error as `dotted.key: message (received: value)`."""
    path = ".".join(str(p) for p in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] != "dlkit" and not isinstance(error.get("input"), (dict, list)):
        message += f". Received: {error['input']!r}"
    return f"{path}: {message}" if path else message


def parse_config(data: dict, source: str = "config", lines: dict[tuple, str] | None = None) -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as e:
        places = [where_written(tuple(err["loc"]), lines or {}, source) for err in e.errors()]
        messages = [f"{place}: {format_error(err)}" for place, err in zip(places, e.errors(), strict=True)]
        raise ConfigError("\n".join(messages)) from None


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> ExperimentConfig:
    """Read, merge, override and validate an experiment file; a ConfigError names the key and
    the file and line (or the `--set`) where it is written."""
    return load_config_and_data(path, overrides)[0]


def load_config_and_data(path: str | Path, overrides=()) -> tuple[ExperimentConfig, dict]:
    """`load_config`, and the raw mapping it validated (a search sets each trial's values in it)."""
    data, lines = read_config(path, overrides)
    config = parse_config(data, str(path), lines)
    if config.tune is not None:  # every key of the search space must be a key of this config
        from dlkit.tuning.space import check_space

        check_space(data, config.tune.space, str(path), lines)
    return config, data


def read_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> tuple[dict, dict[tuple, str]]:
    """The raw config (merged, overridden, not yet validated) and where each key is written."""
    data = read_config_file(Path(path))
    lines = key_lines(Path(path))
    for assignment in overrides:
        apply_override(data, assignment)
        key = tuple(int(p) if p.lstrip("-").isdigit() else p for p in assignment.partition("=")[0].strip().split("."))
        lines = {k: v for k, v in lines.items() if k[: len(key)] != key} | {key: f"--set {assignment}"}
    return data, lines


def dump_config(config: ExperimentConfig) -> str:
    """The resolved config as YAML: defaults filled in, overrides applied, ready to train again."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
