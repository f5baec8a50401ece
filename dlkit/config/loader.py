"""Reading an experiment file: safe YAML, `extends:`, `--set` overrides, the config model of its task,
and errors users can read.

`extends: base.yaml` (relative to the file) deep-merges this file over the base: mappings merge key by
key, anything else (lists included) replaces the base's value wholesale. A base may extend another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ValidationError

from dlkit.config.experiment import DEFAULT_TASK, ExperimentConfig
from dlkit.config.paths import apply_override, key_lines, set_lines, where_written
from dlkit.config.yaml_safe import read_yaml
from dlkit.core.errors import ConfigError
from dlkit.core.registries import TASKS
from dlkit.core.strict import clipped, did_you_mean
from dlkit.data.options import upgrade as upgrade_options

if TYPE_CHECKING:
    from dlkit.core.plugins import RunPlugin


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
    lines, lists = key_lines(root, path)
    if isinstance(data.get("plugins"), list):  # relative to the file that lists them
        data["plugins"] = [str(path.parent / p) if isinstance(p, str) else p for p in data["plugins"]]
    base = data.pop("extends", None)
    if base is None:
        return data, lines
    if not isinstance(base, str):
        raise ConfigError(f"{path}: extends: expected a path to a base config. Received: {clipped(base)}")
    base_data, base_lines = read_config_file(path.parent / base, (*_chain, path.resolve()))
    # A list (or a value) this file writes replaces the base's wholesale, so the base's items are not
    # where errors are (nor where `validate --explain` says a value comes from).
    replaced = lists | _values(data)
    base_lines = {k: v for k, v in base_lines.items() if not any(k[:n] in replaced for n in range(1, len(k)))}
    return deep_merge(base_data, data), base_lines | lines


def _values(data: dict, loc: tuple = ()) -> set[tuple]:
    """The keys of `data` that hold something other than a mapping (`optimizer: adam`)."""
    found = set()
    for key, value in data.items():
        found |= _values(value, (*loc, key)) if isinstance(value, dict) else {(*loc, key)}
    return found


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
    """Validate `data` with the config model of its `task:` (each task's config takes only its own
    keys); a ConfigError names each wrong key and where it is written."""
    lines = lines or {}
    _load_plugins(data.get("plugins"), lines, source)
    name = data.get("task", DEFAULT_TASK)
    if name not in TASKS:  # one line with a hint
        hint = did_you_mean(str(name), TASKS.names())
        raise ConfigError(f"{where_written(('task',), lines, source)}: task: unknown task {clipped(name)}; {hint}")
    name = TASKS.canonical(name)
    model = TASKS.get(name).config
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
    foreign = sorted((err for err in errors if _other_task(err, name)), key=lambda err: [str(p) for p in err["loc"]])
    if foreign:  # written for another task: its first key says it, the rest would only repeat it
        err = foreign[0]
        errors = [{**err, "msg": f"only for task {_other_task(err, name)} (task is {name!r})"}]
    messages = [
        f"{where_written(tuple(err['loc']), lines, source, err['type'] == 'missing')}: {format_error(err)}"
        for err in errors[:MAX_ERRORS]
    ]
    if len(errors) > MAX_ERRORS:
        messages.append(f"{source}: and {len(errors) - MAX_ERRORS:,} more errors")
    raise ConfigError("\n".join(messages)) from None


def _load_plugins(paths, lines: dict[tuple, str], source: str) -> None:
    """Import the config's plug-ins before validating it: they may register what it names. A list
    of something else is left for validation to report."""
    if not isinstance(paths, list) or not paths:
        return
    from dlkit.core.plugins import load_plugin

    for i, path in enumerate(paths):
        if isinstance(path, str):
            try:
                load_plugin(Path(path))
            except ConfigError as e:
                raise ConfigError(f"{where_written(('plugins', i), lines, source)}: plugins.{i}: {e}") from None


def _other_task(error: dict, task: str) -> str | None:
    """The tasks whose configs take the key `error` calls unknown (`binary or classification`), if any do."""
    if error["type"] != "dlkit" or not error["msg"].startswith("unknown key"):
        return None
    takers = [t for t in TASKS.names() if t != task and _takes(TASKS.get(t).config, error["loc"])]
    return " or ".join(takers) or None


def _takes(model: type[BaseModel] | None, loc: tuple) -> bool:
    """Whether the config model has a key at the path `loc`."""
    for part in loc:
        if model is None or part not in model.model_fields:
            return False
        model = _section(model.model_fields[part].annotation)
    return True


def _section(annotation) -> type[BaseModel] | None:
    """The config model a field holds (`X` or `X | None`), if it holds one."""
    import typing

    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = (), plugins=()) -> ExperimentConfig:
    """Read, merge, override and validate an experiment file (with `plugins`, `--plugin` files,
    added to its own); a ConfigError names the key and the file and line (or the `--set`) where it
    is written."""
    return load_config_and_data(path, overrides, plugins)[0]


def load_config_and_data(path: str | Path, overrides=(), plugins=()) -> tuple[ExperimentConfig, dict]:
    """`load_config`, and the raw mapping it validated (a search sets each trial's values in it)."""
    data, lines = read_config(path, overrides)
    path = Path(path)
    if path.name == "config.yaml":
        # A run folder's (run.json beside it): not the user's own code. Run records load only here.
        from dlkit.core.runs import RUN_FILE

        if (path.parent / RUN_FILE).is_file():
            _check_run_plugins(path.parent, data, lines, str(path))
    if plugins:
        given = data.get("plugins") if isinstance(data.get("plugins"), list) else []
        data["plugins"] = [*given, *(str(Path(p).absolute()) for p in plugins)]
    backend = _choose_backend(data, lines, str(path))  # before the plug-ins import Keras
    config = parse_config(data, str(path), lines)
    if backend is not None:
        config.check_backend(backend)
    if config.tune is not None:  # every key of the search space must be a key of this config
        from dlkit.config.space import check_space

        check_space(data, config.tune.space, str(path), lines, parse_config)
    return config, data


def _choose_backend(data: dict, lines: dict[tuple, str], source: str) -> str | None:
    """The config's `backend:` (else $KERAS_BACKEND, else the first installed) chosen for this process
    (`dlkit.core.backend.choose_backend`); None where `backend:` is no string (validation says so)."""
    from dlkit.core.backend import choose_backend

    value = data.get("backend")
    if value is not None and not isinstance(value, str):
        return None
    return choose_backend(value, f"{where_written(('backend',), lines, source)}: backend")


def load_run_config(run_dir: Path, overrides=()) -> ExperimentConfig:
    """A run folder's resolved `config.yaml`. Those of earlier versions held every task's keys, null
    where unused: keys the task's config does not take are dropped when they are null or empty."""
    from dlkit.core.runs import use_run_backend

    use_run_backend(run_dir)  # before its plug-ins import Keras
    path = Path(run_dir) / "config.yaml"
    data, lines = read_config(path, overrides)
    _check_run_plugins(run_dir, data, lines, str(path))
    upgrade_options(data)
    name = data.get("task", DEFAULT_TASK)
    if name in TASKS:  # else parse_config names the task (a plug-in's, loaded there, or a mistake)
        _drop_unused(data, TASKS.get(name).config)
    return parse_config(data, str(path), lines)


def _check_run_plugins(run_dir: Path, data: dict, lines: dict[tuple, str], source: str) -> None:
    """A run folder's config imports only the folder's own kept plug-ins, and those only when
    trusted (`dlkit.core.plugins.check_run_plugins`), checked before `parse_config` imports them."""
    from dlkit.core.plugins import check_run_plugins

    check_run_plugins(run_dir, data.get("plugins"), _plugin_place(lines, source))


def run_config_plugins(run_dir: Path) -> list[RunPlugin]:
    """The plug-ins a run folder's `config.yaml` names, checked to be its own kept copies (trusted
    or not): what `dlkit trust` shows."""
    from dlkit.core.plugins import run_plugins

    path = Path(run_dir) / "config.yaml"
    data, lines = read_config(path)
    return run_plugins(run_dir, data.get("plugins"), _plugin_place(lines, str(path)))


def _plugin_place(lines: dict[tuple, str], source: str):
    """Where item i of `plugins:` is written, for an error about it."""
    return lambda i: f"{where_written(('plugins', i), lines, source)}: plugins.{i}"


def _drop_unused(data: dict, model: type[BaseModel]) -> None:
    for key in list(data):
        if key not in model.model_fields:
            if data[key] in (None, [], {}):
                del data[key]
        elif isinstance(data[key], dict) and (section := _section(model.model_fields[key].annotation)):
            _drop_unused(data[key], section)


def read_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> tuple[dict, dict[tuple, str]]:
    """The raw config (merged, overridden, not yet validated) and where each key is written."""
    data, lines = read_config_file(Path(path))
    for assignment in overrides:
        apply_override(data, assignment)
        lines = set_lines(lines, assignment)
    return data, lines


def dump_config(config: ExperimentConfig) -> str:
    """The resolved config as YAML: defaults filled in, overrides applied, ready to train again."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
