"""User plug-ins: Python files whose decorators register their own components (layers, datasets,
preprocessing steps, metrics, losses, callbacks, whole tasks) through `dlkit.register_*`.

A config lists them in `plugins:` (paths relative to the file that lists them) and every command
takes `--plugin FILE`. A run folder keeps a copy of each in `plugins/`, with its sha256 in
`run.json`, and its `config.yaml` names the copies, so `eval`, `predict`, `--resume` and a run
folder copied to another machine load the same code back.

Importing a plug-in runs it, so a run folder's plug-ins are imported only when trusted (the
convention of Hugging Face's `trust_remote_code`): those `dlkit train` used on this machine are
recorded in a trust store in the cache folder; any other needs `--trust-plugins` (which sets
`DLKIT_TRUST_PLUGINS=1` for the command and the processes it starts) or `dlkit trust RUN`. Whether
trusted or not, a run folder's config may name only its own kept copies. `check_run_plugins` is
where that is decided, before anything is imported."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from shlex import quote

from dlkit.core.backend import quiet_tensorflow
from dlkit.core.cache import cache_dir
from dlkit.core.errors import ConfigError, DataError
from dlkit.core.runs import RUN_FILE, folder_lock, now, read_run, write_json
from dlkit.core.writing import inside

#: Where a run folder keeps its plug-ins.
FOLDER = "plugins"
#: Set to 1, every run folder's plug-ins are trusted (`--trust-plugins` sets it while its command runs).
TRUST_ENV = "DLKIT_TRUST_PLUGINS"
#: The trust store's file in the cache folder: {"trusted": {sha256: {file, source, by, at}}}.
STORE = "trusted_plugins.json"
#: The plug-ins imported by this process, by content hash (the same file twice is imported once).
_loaded: dict[str, Path] = {}
_warned = False


@dataclasses.dataclass(frozen=True)
class RunPlugin:
    """A plug-in a run folder's config names, found to be the copy its `run.json` lists."""

    path: Path
    sha256: str


def digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_plugin(path: Path) -> str:
    """Import the file at `path` (once per content); a file that is missing or fails to import is
    one ConfigError naming it and the error. Returns its sha256."""
    path = Path(path)
    try:
        sha = digest(path)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the plug-in ({e.strerror or e})") from None
    if sha in _loaded:
        return sha
    name = f"dlkit_plugins.{_identifier(path.stem)}_{sha[7:19]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: not a Python file; a plug-in is a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with quiet_tensorflow():
            spec.loader.exec_module(module)
    except Exception as e:  # whatever the user's code raises is the user's to fix
        del sys.modules[name]
        reason = " ".join(f"{type(e).__name__}: {e}".split())
        raise ConfigError(f"{path}: the plug-in failed to import: {reason[:200]}") from None
    _loaded[sha] = path
    return sha


def load_plugins(paths) -> list[str]:
    return [load_plugin(Path(p)) for p in paths]


def keep_in_run(paths: list[str], run_dir: Path) -> tuple[list[str], list[dict]]:
    """Copy each plug-in into `run_dir/plugins/` (unless it is already that copy): their paths
    relative to the run folder, for its config.yaml, and what `run.json` records of them. Training
    with them trusts them on this machine."""
    folder = inside(run_dir, FOLDER)
    kept, records = [], []
    for path in map(Path, paths):
        target = folder / path.name
        if not (target.exists() and target.resolve() == path.resolve()):
            if target.exists() and digest(target) != digest(path):
                raise ConfigError(f"{path}: two plug-ins are named {path.name}; rename one")
            folder.mkdir(exist_ok=True)
            shutil.copyfile(path, target)
        kept.append(f"{FOLDER}/{path.name}")
        records.append({"file": f"{FOLDER}/{path.name}", "sha256": digest(target), "source": str(path)})
    if records:
        try:
            add_trusted([(r["sha256"], r["source"]) for r in records], "train")
        except DataError as e:  # the run is still good; opening it later asks for --trust-plugins
            _warn(f"{e}; opening {run_dir} will ask for --trust-plugins")
    return kept, records


def check_run_plugins(run_dir: Path, named, where=lambda i: f"plugins.{i}") -> list[RunPlugin]:
    """Refuse, before any is imported, the plug-ins `named` by a run folder's config (its
    `plugins:`, resolved against the folder) unless each is the folder's own kept copy and trusted:
    recorded in the trust store, or every run trusted by `DLKIT_TRUST_PLUGINS=1`. `where(i)` says
    where item i is written."""
    found = run_plugins(run_dir, named, where)
    if os.environ.get(TRUST_ENV) == "1":
        return found
    known = trusted()
    for plugin in found:
        if plugin.sha256 not in known:
            raise ConfigError(
                f"{plugin.path} ({plugin.sha256}): the run folder's plug-in is not trusted on this machine and "
                "importing it would run its code; read it, then add --trust-plugins or run: "
                f"dlkit trust {quote(str(run_dir))}"
            )
    return found


def run_plugins(run_dir: Path, named, where=lambda i: f"plugins.{i}") -> list[RunPlugin]:
    """The plug-ins `named` by a run folder's config, each checked to be a file directly in its
    `plugins/` (no link leading elsewhere) with the sha256 `run.json` lists for it. Every copy
    `run.json` lists must be there unchanged."""
    listed = _listed(run_dir)
    found = []
    for i, item in enumerate(named if isinstance(named, list) else []):
        if not isinstance(item, str):
            continue  # validation reports it
        relative = Path(os.path.relpath(os.path.normpath(item), os.path.normpath(run_dir)))
        inside = Path(os.path.realpath(run_dir)) / relative
        if relative.parent != Path(FOLDER) or str(relative) not in listed or os.path.realpath(item) != str(inside):
            raise ConfigError(
                f"{where(i)}: {item}: not one of the run folder's own plug-ins (files in {Path(run_dir) / FOLDER}/, "
                f"not links, that {RUN_FILE} lists with their sha256); refused, --trust-plugins or not"
            )
        found.append(RunPlugin(Path(run_dir) / relative, listed[str(relative)]))
    return found


def _listed(run_dir: Path) -> dict[str, str]:
    """The kept copies `run.json` lists, by path in the folder; each must be there unchanged."""
    listed = {}
    for record in read_run(run_dir).get("plugins") or []:
        file, sha = (record.get("file"), record.get("sha256")) if isinstance(record, dict) else (None, None)
        if not isinstance(file, str) or not isinstance(sha, str):
            raise ConfigError(f"{Path(run_dir) / RUN_FILE}: plugins: expected entries with file and sha256")
        path = Path(run_dir) / file
        try:
            found = digest(path) if path.is_file() else None
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the plug-in ({e.strerror or e})") from None
        if found is None:
            raise ConfigError(f"{path}: missing; the run was trained with this plug-in")
        if found != sha:
            raise ConfigError(
                f"{path}: changed since the run was trained ({RUN_FILE} has {sha[:19]}...); put the original back"
            )
        listed[str(Path(os.path.normpath(file)))] = sha
    return listed


def trusted() -> set[str]:
    """The sha256 of every plug-in trusted on this machine; none when the store cannot be read."""
    path = cache_dir() / STORE
    try:
        entries = json.loads(path.read_text()).get("trusted")
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, AttributeError) as e:
        _warn(f"{path}: cannot read the trusted plug-ins ({getattr(e, 'strerror', None) or e}); none is trusted")
        return set()
    return set(entries) if isinstance(entries, dict) else set()


def add_trusted(plugins: list[tuple[str, str]], by: str) -> Path:
    """Record each (sha256, where it came from) as trusted on this machine; returns the store's
    path. A store that cannot be written is a DataError."""
    path = cache_dir() / STORE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with folder_lock(path.parent):  # two trainings adding at once both stay
            try:
                entries = json.loads(path.read_text()).get("trusted")
            except (OSError, ValueError, AttributeError):
                entries = None  # none yet, or unreadable: started again
            entries = entries if isinstance(entries, dict) else {}
            for sha, source in plugins:
                where = Path(source).absolute()
                entries[sha] = {"file": where.name, "source": str(where), "by": by, "at": now()}
            write_json(path, {"trusted": entries})
    except OSError as e:
        raise DataError(f"{path}: cannot record trusted plug-ins ({e.strerror or e})") from None
    return path


@contextlib.contextmanager
def trusting_runs():
    """While a command given `--trust-plugins` runs: every run folder's plug-ins are trusted, in
    this process (a server's reloads too) and in the worker processes it starts."""
    before = os.environ.get(TRUST_ENV)
    os.environ[TRUST_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(TRUST_ENV, None)
        else:
            os.environ[TRUST_ENV] = before


def _warn(message: str) -> None:
    """One line on stderr, once per process: the trust store is a convenience, not a failure."""
    global _warned
    if not _warned:
        _warned = True
        print(f"dlkit: warning: {message}", file=sys.stderr)


def _identifier(stem: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in stem) or "plugin"
