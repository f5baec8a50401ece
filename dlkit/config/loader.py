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
from dlkit.strict import clipped

#: A config holds a few hundred values; a document expanding (through aliases) to more is an alias
#: bomb: a few hundred bytes that would take the machine's memory once validated.
MAX_VALUES = 100_000
#: Deeper nesting than any config needs; PyYAML composes recursively, so thousands of nested
#: brackets would overflow Python's stack.
MAX_DEPTH = 100


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML (no Python tags) that also refuses a key given twice in one mapping, and nesting
    deeper than MAX_DEPTH while composing (`source` names the text in that error)."""

    def __init__(self, text: str, source: str):
        super().__init__(text)
        self.source, self.depth = source, 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise ConfigError(f"{self.source}:{line}: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_expansion(root, source: str) -> None:
    """Refuse a document whose values, counted as the config will hold them (an alias counts its
    anchor's values again), are too many or nest too deep. Each node is measured once."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)
    unbounded = (MAX_VALUES + 1, MAX_DEPTH + 1)

    def measure(node) -> tuple[int, int]:
        if id(node) in measured:
            return measured[id(node)]
        measured[id(node)] = unbounded  # an alias inside its own anchor expands without end
        sizes = [measure(child) for child in _children(node)]
        measured[id(node)] = (
            min(1 + sum(n for n, _ in sizes), MAX_VALUES + 1),
            1 + max((d for _, d in sizes), default=0),
        )
        return measured[id(node)]

    values, depth = measure(root)
    through = " through aliases" if len(measured) <= MAX_VALUES else ""
    if values > MAX_VALUES:
        raise ConfigError(f"{source}: the YAML expands to more than {MAX_VALUES:,} values{through}")
    if depth > MAX_DEPTH:
        raise ConfigError(f"{source}: the YAML nests deeper than {MAX_DEPTH} levels{through}")


def load_yaml(text: str, source: str) -> tuple[Any, Any]:
    """(the document's value, its root node) from `text`; a document too large or too deep (see
    MAX_VALUES, MAX_DEPTH) is a ConfigError naming `source`, other problems are yaml.YAMLError."""
    loader = _StrictLoader(text, source)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_expansion(root, source)
        return loader.construct_document(root), root
    finally:
        loader.dispose()


def read_yaml(path: Path) -> tuple[Any, Any]:
    """(the file's value, its root node), or a one-line ConfigError with the file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[e.start]:02x} at position {e.start}); save the file as UTF-8"
        ) from None
    try:
        return load_yaml(text, str(path))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {e.problem or e.context}") from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise ConfigError(f"{path}:{line}: invalid YAML: character #x{e.character:04x}: {e.reason}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(e).split())}") from None


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_config_file(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, dict[tuple, str]]:
    """The file's mapping with its `extends:` chain merged in, and the `file:line` of every key and
    list item (the file's own over its base's), so an error can say where its key is written."""
    path = Path(path)
    if path.resolve() in _chain:
        raise ConfigError(f"{path}: extends: circular chain ({' -> '.join(p.name for p in (*_chain, path))})")
    data, root = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of sections (name:, data:, model:, ...)")
    lines, lists = _key_lines(root, path)
    base = data.pop("extends", None)
    if base is None:
        return data, lines
    if not isinstance(base, str):
        raise ConfigError(f"{path}: extends: expected a path to a base config. Received: {clipped(base)}")
    base_data, base_lines = read_config_file(path.parent / base, (*_chain, path.resolve()))
    # A list this file writes replaces the base's wholesale, so the base's items are not where errors are.
    base_lines = {k: v for k, v in base_lines.items() if not any(k[:n] in lists for n in range(1, len(k)))}
    return deep_merge(base_data, data), base_lines | lines


def _key_lines(root, path: Path) -> tuple[dict[tuple, str], set[tuple]]:
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


#: Errors shown of one config; the rest are counted (fixing the first few usually fixes them).
MAX_ERRORS = 10


def format_error(error: dict) -> str:
    """One pydantic error as `dotted.key: message. Received: value`."""
    path = ".".join(str(p) if isinstance(p, int) else clipped(str(p), 40).strip("'\"") for p in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] != "dlkit" and not isinstance(error.get("input"), (dict, list)):
        message += f". Received: {clipped(error['input'])}"
    return f"{path}: {message}" if path else message


def parse_config(data: dict, source: str = "config", lines: dict[tuple, str] | None = None) -> ExperimentConfig:
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        messages = [
            f"{where_written(tuple(err['loc']), lines or {}, source, err['type'] == 'missing')}: {format_error(err)}"
            for err in errors[:MAX_ERRORS]
        ]
        if len(errors) > MAX_ERRORS:
            messages.append(f"{source}: and {len(errors) - MAX_ERRORS:,} more errors")
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
    data, lines = read_config_file(Path(path))
    for assignment in overrides:
        apply_override(data, assignment)
        key = tuple(int(p) if p.lstrip("-").isdigit() else p for p in assignment.partition("=")[0].strip().split("."))
        lines = {k: v for k, v in lines.items() if k[: len(key)] != key}
        # The sections on the way that the file does not write are the --set's too (`trian.epochs=5`).
        place = f"--set {assignment if len(assignment) <= 80 else assignment[:77] + '...'}"
        lines |= {key[:n]: place for n in range(1, len(key) + 1) if key[:n] not in lines}
    return data, lines


def dump_config(config: ExperimentConfig) -> str:
    """The resolved config as YAML: defaults filled in, overrides applied, ready to train again."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
