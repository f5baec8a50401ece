"""User plug-ins: Python files whose decorators register their own components (layers, datasets,
preprocessing steps, metrics, losses, callbacks, whole tasks) through `dlkit.register_*`.

A config lists them in `plugins:` (paths relative to the file that lists them) and every command
takes `--plugin FILE`. A run folder keeps a copy of each in `plugins/`, with its sha256 in
`run.json`, and its `config.yaml` names the copies, so `eval`, `predict`, `--resume` and a run
folder copied to another machine load the same code back."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

from dlkit.backend import quiet_tensorflow
from dlkit.errors import ConfigError
from dlkit.runs import read_run
from dlkit.writing import inside

#: Where a run folder keeps its plug-ins.
FOLDER = "plugins"
#: The plug-ins imported by this process, by content hash (the same file twice is imported once).
_loaded: dict[str, Path] = {}


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
    relative to the run folder, for its config.yaml, and what `run.json` records of them."""
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
    return kept, records


def check_kept(run_dir: Path) -> None:
    """Refuse a run folder whose plug-in copies are missing or no longer what it was trained with."""
    for record in read_run(run_dir).get("plugins") or []:
        path = Path(run_dir) / record["file"]
        if not path.is_file():
            raise ConfigError(f"{path}: missing; the run was trained with this plug-in")
        if digest(path) != record["sha256"]:
            raise ConfigError(
                f"{path}: changed since the run was trained (run.json has {record['sha256'][:19]}...); "
                "put the original back"
            )


def _identifier(stem: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in stem) or "plugin"
