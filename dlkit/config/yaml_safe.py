"""Reading YAML that may come from anywhere: safe (no Python tags), no key given twice, and bounded,
so an alias bomb, thousands of nested brackets or a file of gigabytes is one line, not the machine's
memory or stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dlkit.core.errors import ConfigError

#: A config holds a few hundred values; a document expanding (through aliases) to more is an alias
#: bomb: a few hundred bytes that would take the machine's memory once validated.
MAX_VALUES = 100_000
#: Deeper nesting than any config needs; PyYAML composes recursively, so thousands of nested
#: brackets would overflow Python's stack.
MAX_DEPTH = 100
#: A config (a run's config.yaml too) is a few KB; a file over this is not read at all.
MAX_BYTES = 4 * 2**20


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
        try:
            return loader.construct_document(root), root
        except (ValueError, TypeError, AttributeError) as e:  # `2001-02-30`, a list as a key, 5,000 digits
            raise yaml.YAMLError(f"a value YAML cannot construct: {' '.join(str(e).split())[:120]}") from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> tuple[Any, Any]:
    """(the file's value, its root node), or a one-line ConfigError with the file and line."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: over {MAX_BYTES // 2**20} MiB; a config is a few KB of YAML")
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
