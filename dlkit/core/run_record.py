"""A run folder's `run.json` and `metrics.json` as dlkit reads them: bounded (bytes and nesting) and
checked against the fields dlkit itself uses, with their types. A file that is not what training
wrote (damaged, cut short, edited, hostile) is one `BadRunFile` naming it and what is wrong, so a
command refuses that run in one line and `dlkit runs` lists the others, marking it. Fields dlkit
does not read are kept as they are."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dlkit.core.errors import UsageError
from dlkit.core.strict import clipped

#: The most bytes read of a run's JSON or YAML file: dlkit writes a few KB; more is not its file
#: (and a file of gigabytes would take the memory to read).
MAX_BYTES = 4 * 2**20
#: Deeper nesting than dlkit writes (3 levels); reading on would recurse as deep.
MAX_DEPTH = 64
#: The splits of `metrics.json`, each a map of figure names to numbers.
SPLITS = ("train", "val", "test")


class BadRunFile(UsageError):
    """A run folder's file dlkit cannot use; exit 2 (like a run folder that is not there), before
    any work: the command was pointed at a run it cannot take."""

    def __init__(self, path: Path, problem: str):
        self.path = Path(path)
        super().__init__(f"{path}{problem if problem.startswith(':') else f': {problem}'}")

    @property
    def mark(self) -> str:
        """How `dlkit runs` shows such a run's status: `bad run.json`."""
        return f"bad {self.path.name}"


def read_bounded(path: Path) -> bytes:
    """The file's bytes; BadRunFile past MAX_BYTES, unreadable or not a regular file (a named pipe
    would block the reader), FileNotFoundError without it."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise BadRunFile(path, "not a regular file")
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise BadRunFile(path, f"cannot read: {e.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise BadRunFile(path, f"over {MAX_BYTES // 2**20} MiB; dlkit writes a few KB there")
    return raw


def load_json(path: Path) -> Any:
    """The JSON value in `path`, read no further than MAX_BYTES and nested no deeper than
    MAX_DEPTH; a BadRunFile otherwise (FileNotFoundError when there is no such file)."""
    raw = read_bounded(path)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadRunFile(path, f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}"
        raise BadRunFile(path, f"not valid JSON ({e.msg} at {where}); the file is damaged or cut short") from None
    except ValueError as e:  # not UTF-8, an integer of thousands of digits
        raise BadRunFile(path, f"not valid JSON ({str(e).splitlines()[0][:100]})") from None
    if _depth(data) > MAX_DEPTH:
        raise BadRunFile(path, f"nested deeper than {MAX_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in children)
    return deepest


class _Record(BaseModel):
    # Strict: `"3"` is no epoch count and `true` no number; fields dlkit does not read are kept.
    model_config = ConfigDict(extra="allow", strict=True)


#: A figure: an integer or a float (NaN and infinities as Python's json writes them).
Figures = dict[str, float]


class InputRecord(_Record):
    kind: str | None = None
    """What predict takes: image, table, array, text, sequence."""
    shape: list[Annotated[int, Field(ge=1)] | None] | None = None
    """One example's shape."""
    features: list[str] | None = None
    """The input columns by name, for tables and named arrays."""


class PluginRecord(_Record):
    file: str
    """The copy in the run folder, relative to it."""
    sha256: str
    """Its digest when the run was trained."""


class RunRecord(_Record):
    """The fields of `run.json` dlkit reads; each may be missing in runs of earlier versions, but
    where present it has this type. Fields that callers use as a mapping or list are never null."""

    status: str
    """running, completed, failed, interrupted."""
    started: str | None = None
    ended: str | None = None
    heartbeat: str | None = None
    host: str | None = None
    pid: int | None = None
    versions: dict[str, str] = {}
    backend: str | None = None
    """The Keras backend it trained on (tensorflow where missing: runs older than the choice)."""
    command: list[str] = []
    seed: int | None = None
    dataset_fingerprint: str | None = None
    dataset: str | None = None
    task: str | None = None
    classes: list[str] | None = None
    input: InputRecord = InputRecord()
    plugins: list[PluginRecord] = []
    epochs: int | None = None
    best_epoch: int | None = None
    best: Figures = {}
    test: Figures | None = None
    headline: Figures | None = None
    timings: Figures = {}
    parent: dict[str, Any] | None = None
    mlflow: dict[str, Any] | None = None
    resumed: list[dict[str, Any]] = []
    error: str | None = None

    @model_validator(mode="after")
    def _finished_runs_say_what_they_take(self) -> RunRecord:
        if self.status == "completed" and not self.input.kind:
            raise ValueError("a completed run records input.kind (what its model takes); it is missing")
        return self


def check(data: Any, path: Path, model: type[BaseModel]) -> dict:
    """`data` (a file's JSON) checked against `model`: itself, or a BadRunFile with its first error."""
    if not isinstance(data, dict):
        raise BadRunFile(path, f"expected a JSON object. Received: {type(data).__name__} {clipped(data, 40)}")
    try:
        model.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        first = errors[0]
        key = ".".join(map(_shown_key, first["loc"])) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        received = "" if first["type"] in ("missing", "value_error") else f". Received: {clipped(first['input'], 40)}"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise BadRunFile(path, f"{key}: {message}{received}{more}") from None
    return data


def _shown_key(part: Any) -> str:
    """A key of the file as one line shows it: quoted where it is no plain name (`'a\\nb'`)."""
    text = str(part)
    return text if text.isprintable() and 0 < len(text) <= 40 and "." not in text else clipped(part, 40)


def read_run_file(path: Path) -> dict:
    """`run.json` checked ({} when there is none yet)."""
    try:
        return check(load_json(path), path, RunRecord)
    except FileNotFoundError:
        return {}


class MetricsRecord(_Record):
    """`metrics.json`: figures by split; other entries (pruning's sparsity and size) are free."""

    train: Figures | None = None
    val: Figures | None = None
    test: Figures | None = None


def read_metrics_file(path: Path) -> dict:
    """`metrics.json` checked ({} when there is none: the run did not finish)."""
    try:
        return check(load_json(path), path, MetricsRecord)
    except FileNotFoundError:
        return {}
