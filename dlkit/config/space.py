"""`tune.space`: the config a trial trains, and the check of every key before the first trial.

A key is a `--set` path (`train.optimizer.learning_rate`, `model.layers.0.filters`). Each is tried
with its extreme values (each choice, for categorical) before the first trial, so a misspelt key or an
impossible value is a config error, not a failed study.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dlkit.config.paths import parse_key, set_path, where_written
from dlkit.core.errors import ConfigError

if TYPE_CHECKING:
    from dlkit.components.distributions import Distribution


def trial_data(data: dict, values: dict[str, Any], place: str = "tune.space") -> dict:
    """The raw config with the trial's `values` set at their dotted keys, and no `tune:` section
    (a trial is a plain run: its config.yaml trains again as it is)."""
    data = copy.deepcopy({k: v for k, v in data.items() if k != "tune"})
    for key, value in values.items():
        set_path(data, key, value, f"{place}: {key}")
    return data


def check_space(
    data: dict, space: dict[str, Distribution], source: str, lines: dict[tuple, str], parse: Callable
) -> None:
    """Raise a ConfigError, naming the space's key and line, unless every key is a config key that
    takes each of its extreme values (`parse` validates a raw config, as `parse_config`)."""
    for key, distribution in space.items():
        place = f"{where_written(('tune', 'space', key), lines, source)}: tune.space"
        path = parse_key(key)
        if path[0] in ("tune", "extends"):
            raise ConfigError(f"{place}: {key}: the search cannot change {path[0]}:")
        # An error at the key, or at a section on its way (a misspelt one), is the space's.
        others = {k: v for k, v in lines.items() if k[: len(path)] != path} | {
            path[:n]: place for n in range(1, len(path) + 1)
        }
        for value in distribution.extremes():
            changed = trial_data(data, {key: value}, place)
            try:
                parse(changed, source, others)
            except ConfigError as e:
                first = str(e).splitlines()[0]
                raise ConfigError(f"{first} (with {key}={value!r})") from None
