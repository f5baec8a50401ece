"""Runs side by side, read from their folders alone: the resolved-config keys that differ, every
figure of `metrics.json` per split with the best marked, their learning curves overlaid; two runs'
figures key by key (what `dlkit reproduce` reports); and the dotted keys `dlkit runs --sort/--filter`
selects on. Nothing here prints or imports TensorFlow."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import yaml

from dlkit.components.metrics import direction
from dlkit.config.yaml_safe import read_yaml
from dlkit.core.errors import ConfigError, UsageError
from dlkit.core.run_record import BadRunFile
from dlkit.core.runs import (
    HISTORY,
    LATEST,
    RUN_FILE,
    list_runs,
    read_json,
    read_metrics,
    read_run,
    run_status,
    write_json,
)
from dlkit.core.strict import did_you_mean, listed

SPLITS = ("train", "val", "test")


@dataclasses.dataclass
class Run:
    """One run folder as compare reads it: its name in tables, `run.json`, `config.yaml` (as
    written: resolved already) and `metrics.json` (empty when the run did not finish)."""

    label: str
    path: Path
    info: dict
    config: dict
    metrics: dict

    @classmethod
    def read(cls, path: Path, label: str) -> Run:
        """The run's three files, each checked: a BadRunFile names the first dlkit cannot use."""
        return cls(label, path, read_run(path), read_config(path), read_metrics(path))


def gather(paths: list[Path]) -> tuple[list[Run], list[BadRunFile]]:
    """The runs `paths` name; a folder that is not a run but holds runs (a study's trial-NNN/, a
    cv's fold-K/, a runs/ folder) stands for those, labelled `folder/run` beside other arguments.
    A run named itself whose files dlkit cannot use is refused; one found in a folder is left out,
    and returned second (for a warning)."""
    found: list[tuple[Path, str, bool]] = []
    for path in map(Path, paths):
        if not path.is_dir():
            raise UsageError(f"{path}: no such folder")
        if path.name == LATEST:
            path = path.resolve()
        if (path / RUN_FILE).is_file():
            found.append((path, path.name, True))
            continue
        inside = list_runs(path)
        if not inside:
            raise UsageError(f"{path}: neither a run folder (no {RUN_FILE}) nor a folder of runs (a study, a cv)")
        # One folder given: its runs' own names; beside others, the folder names them too.
        found += [(run, run.name if len(paths) == 1 else f"{path.name}/{run.name}", False) for run in inside]
    seen: dict[str, int] = {}
    runs, skipped = [], []
    for path, label, named in found:
        seen[label] = seen.get(label, 0) + 1
        try:
            runs.append(Run.read(path, label if seen[label] == 1 else f"{label} ({seen[label]})"))
        except BadRunFile as e:
            if named:
                raise
            skipped.append(e)
    if len(runs) < 2:
        left_out = f" ({len(skipped)} left out: {skipped[0]})" if skipped else ""
        raise UsageError(f"compare needs at least 2 runs; {listed(r.path for r in runs) or 'none'} given{left_out}")
    return runs, skipped


def compare_runs(runs: list[Run], skipped: list[BadRunFile], curves: Path) -> tuple[dict[str, Any], list[str]]:
    """`runs` side by side (what `gather` found, and left out as `skipped`): the config keys that
    differ, every figure per split, their baselines', and the learning curves drawn at `curves` (a
    PNG). Writes the result as JSON beside the PNG (`compare.json`); returns it and the curves'
    panels (none: no run has a history, no PNG)."""
    differ, metrics, baselines = config_differences(runs), metric_table(runs), baseline_table(runs)
    panels = plot_curves(runs, curves)
    result = {
        "runs": [{"label": r.label, "path": str(r.path), "status": r.info.get("status")} for r in runs],
        "config": differ,
        "metrics": metrics,
        "baselines": baselines,
        "curves": str(curves) if panels else None,
        "left_out": [{"path": str(problem.path), "error": str(problem)} for problem in skipped],
    }
    curves.parent.mkdir(parents=True, exist_ok=True)  # made by the plot, unless no run has a history
    write_json(curves.with_suffix(".json"), result)
    return result, panels


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaf values, list items by index (`model.layers.0.filters`, as `--set` writes
    them); an empty mapping or list is a leaf."""
    if isinstance(tree, dict) and tree:
        items = tree.items()
    elif isinstance(tree, list) and tree:
        items = enumerate(tree)
    else:
        return {prefix[:-1]: tree} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat |= flatten(value, f"{prefix}{key}.")
    return flat


def config_differences(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """Each dotted config key whose value is not the same in every run: {key: {label: value}}; a run
    without the key is left out of its map."""
    flat = {run.label: flatten(run.config) for run in runs}
    keys = list(dict.fromkeys(k for values in flat.values() for k in values))
    differ = {}
    for key in keys:
        values = {label: values[key] for label, values in flat.items() if key in values}
        if len(values) < len(runs) or len({json.dumps(v, sort_keys=True, default=str) for v in values.values()}) > 1:
            differ[key] = values
    return differ


def metric_table(runs: list[Run]) -> dict[str, dict[str, dict[str, Any]]]:
    """{split: {metric: {"direction", "values": {label: number}, "best": [labels]}}}: every number of
    every run's `metrics.json` by split."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for split in SPLITS:
        names = list(dict.fromkeys(n for run in runs for n in run.metrics.get(split) or {}))
        for name in names:
            values = {run.label: value for run in runs if _is_number(value := (run.metrics.get(split) or {}).get(name))}
            if not values:
                continue
            way = direction(name)
            finite = [v for v in values.values() if math.isfinite(v)]
            best = (max if way == "up" else min)(finite) if finite else None
            table.setdefault(split, {})[name] = {
                "direction": way,
                "values": values,
                "best": [label for label, v in values.items() if v == best] if len(values) > 1 else [],
            }
    return table


def baseline_table(runs: list[Run]) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{baseline: {split: {metric: {label: number}}}}: every run's `metrics.json` `baselines`."""
    table: dict = {}
    for run in runs:
        for baseline, splits in (run.metrics.get("baselines") or {}).items():
            for split, figures in (splits or {}).items():
                for name, value in (figures or {}).items():
                    if _is_number(value):
                        table.setdefault(baseline, {}).setdefault(split, {}).setdefault(name, {})[run.label] = value
    return table


def margin(metrics: dict, headline: dict) -> float | None:
    """How far the model's headline test figure (`run.json`'s `headline`) is ahead of the best
    baseline's in `metrics` (a metrics.json): positive when the model is better, for an error
    (mae) too; None without baselines."""
    if len(headline) != 1:
        return None
    ((name, value),) = headline.items()
    tests = [(splits or {}).get("test") or {} for splits in (metrics.get("baselines") or {}).values()]
    figures = [figure for test in tests if _is_number(figure := test.get(name))]
    if not figures or not _is_number(value):
        return None
    return value - max(figures) if direction(name) == "up" else min(figures) - value


def metric_differences(original: dict, other: dict) -> list[dict[str, Any]]:
    """Two `metrics.json` key by key (`test.accuracy`): both numbers, whether they are the same bit
    for bit, and the difference; a key in one only has None for the other."""
    first, second = _numbers(original), _numbers(other)
    rows = []
    for key in dict.fromkeys([*first, *second]):
        a, b = first.get(key), second.get(key)
        same = a is not None and b is not None and (a == b or (math.isnan(a) and math.isnan(b)))
        rows.append({"key": key, "original": a, "reproduced": b, "equal": same,
                     "difference": None if a is None or b is None else b - a})  # fmt: skip
    return rows


def plot_curves(runs: list[Run], path: Path) -> list[str]:
    """Every run's loss and monitored figure per epoch, training solid and validation dashed, one
    colour per run, in one PNG; returns the panels drawn (none: no run has a history)."""
    from dlkit.core.plots import figure, save

    histories = {run.label: rows for run in runs if (rows := _history(run.path))}
    panels = _panels(runs, histories)
    if not panels:
        return []
    plt = figure()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes.flat, panels, strict=True):
        for i, (label, rows) in enumerate(histories.items()):
            epochs = [int(row["epoch"]) for row in rows]
            colour = colours[i % len(colours)]
            for column, style, suffix in ((name, "-", "train"), (f"val_{name}", "--", "val")):
                points = [(e, float(row[column])) for e, row in zip(epochs, rows, strict=True) if row.get(column)]
                if points:
                    ax.plot(*zip(*points, strict=True), style, color=colour, marker="o", ms=2.5,
                            label=f"{label} {suffix}")  # fmt: skip
        ax.set(title=name, xlabel="epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    save(fig, path)
    return panels


def _panels(runs: list[Run], histories: dict[str, list[dict]]) -> list[str]:
    """`loss` and each run's monitored figure (without `val_`); when that is the loss too, the first
    other figure every history logs (accuracy, mae), so the panel shows what the runs are for."""
    columns = [set(rows[0]) for rows in histories.values()]
    if not columns:
        return []
    logged = set.union(*columns)
    monitored = [((run.config.get("train") or {}).get("checkpoint") or {}).get("monitor") for run in runs]
    names = ["loss"] + [m.removeprefix("val_") for m in monitored if m]
    if set(names) == {"loss"}:
        common = set.intersection(*columns) - {"epoch", "learning_rate", "loss"}
        names += sorted(n for n in common if not n.startswith("val_"))[:1]
    return [n for n in dict.fromkeys(names) if n in logged or f"val_{n}" in logged]


# --- `dlkit runs --sort/--filter` ---


def record(run_dir: Path) -> dict[str, Any]:
    """A run's dotted keys for sorting and filtering: `run.json`'s (`dataset`, `status`, ...),
    `config.yaml`'s (`train.epochs`) and `metrics.json`'s (`test.accuracy`); a status is the shown
    one (a dead `running` run is `interrupted`). A BadRunFile for a file dlkit cannot use."""
    info = read_run(run_dir)
    flat = flatten(info) | flatten(read_config(run_dir)) | flatten(read_metrics(run_dir))
    flat["status"] = run_status(info)
    return flat


def select(runs: list[Path], sort: str | None = None, filters: list[str] = (), reverse: bool = False) -> list[Path]:
    """`runs` whose keys hold every `KEY=VALUE` of `filters` (`3` matches 3 and 3.0, `1e-3` 0.001,
    other values read as YAML or matched as written), ordered by `sort` (a figure best first, by its direction; anything
    else ascending; runs without it last; a run whose files dlkit cannot use has no keys). A key no
    run has is a UsageError naming the close ones."""
    records = {path: _record_or_none(path) for path in runs}
    known = set().union(*records.values()) if records else set()
    wanted = []
    for item in filters:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--filter: expected KEY=VALUE (a dotted key, e.g. dataset=digits). Received: {item!r}")
        wanted.append((_known(key, known, "--filter"), raw))
    kept = [p for p in runs if all(_matches(records[p].get(key), raw) for key, raw in wanted)]
    if sort is None:
        return kept[::-1] if reverse else kept
    key = _known(sort, known, "--sort")
    # `train.` starts config keys as well as the training split's figures: ask metrics.json.
    figure = any(key in _numbers(read_json(path / "metrics.json")) for path in kept)
    higher_first = figure and direction(key.rsplit(".", 1)[-1]) == "up"
    present = [p for p in kept if records[p].get(key) is not None]
    present.sort(key=lambda p: _sort_key(records[p][key]), reverse=higher_first != reverse)
    return present + [p for p in kept if records[p].get(key) is None]


def _record_or_none(run_dir: Path) -> dict[str, Any]:
    try:
        return record(run_dir)
    except BadRunFile:
        return {}


def _known(key: str, known: set[str], option: str) -> str:
    if key not in known:
        # A mapping (`test`) is no key of its own: offer its leaves as well as close names.
        under = sorted(k for k in known if k.startswith(f"{key}."))
        hint = f"keys under it: {listed(under, 6)}" if under else did_you_mean(key, known, listing=False)
        raise UsageError(f"{option} {key}: no run here has this key{f'; {hint}' if hint else ''}")
    return key


def _matches(value: Any, raw: str) -> bool:
    if value is None:
        return False
    if _is_number(value):  # YAML reads 1e-3 as a string; a number is meant
        try:
            return float(raw) == value
        except ValueError:
            return False
    try:
        wanted = yaml.safe_load(raw)
    except yaml.YAMLError:
        wanted = raw
    return value == wanted or str(value) == raw


def _sort_key(value: Any) -> tuple:
    return (0, float(value), "") if _is_number(value) else (1, 0.0, str(value))


# --- reading a run folder ---


def read_config(run_dir: Path) -> dict:
    """The run's `config.yaml` as written (resolved already), read as any YAML dlkit reads (bounded
    in bytes, nesting and values); {} when there is none; a BadRunFile when it is unreadable or
    not a mapping."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        return {}
    try:
        data = read_yaml(path)[0]
    except ConfigError as e:
        raise BadRunFile(path, str(e).removeprefix(str(path))) from None
    if data is not None and not isinstance(data, dict):
        raise BadRunFile(path, f"expected a mapping of sections (name:, data:, ...). Received: {type(data).__name__}")
    return data or {}


def _history(run_dir: Path) -> list[dict]:
    try:
        with open(run_dir / HISTORY, newline="") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(metrics: dict) -> dict[str, float]:
    return {f"{split}.{name}": float(value) for split in SPLITS
            for name, value in (metrics.get(split) or {}).items() if _is_number(value)}  # fmt: skip
