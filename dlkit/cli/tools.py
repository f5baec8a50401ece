"""`validate`, `list`, `to-csv` and `runs`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from dlkit.cli.common import PluginOption, SetOption, TrustOption, app, err, out, user_errors


@app.command()
@user_errors
def validate(
    config: Path = typer.Argument(..., help="The experiment YAML file."),
    set_: list[str] | None = SetOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Also build the model and report its shapes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the resolved config, or the model built)."),
    show: bool = typer.Option(False, "--show", help="Print the resolved config (defaults filled in, --set applied)."),
    explain: bool = typer.Option(
        False, "--explain", help="Print every resolved value and where it came from (file:line, --set, default)."
    ),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Check a config without training: its keys, its data's files and columns (read from the header,
    not loaded), and the last layer against the classes. Prints one line when it is valid (--show:
    the resolved config; --explain: where each value came from; --dry-run: the model built)."""
    from dlkit.commands.validate import check_data
    from dlkit.config import dump_config, load_config

    cfg = load_config(config, set_ or [], plugin or [])
    check_data(cfg, config, set_ or [], dry_run=dry_run)
    if explain:
        from dlkit.config.explain import explain as origins
        from dlkit.config.explain import render
        from dlkit.config.loader import read_config

        rows = origins(cfg, read_config(config, set_ or [])[1])
        if as_json:
            typer.echo(json.dumps([{"key": k, "value": v, "from": w} for k, v, w in rows], indent=2))
        else:
            typer.echo(render(rows), nl=False)
        return
    if not dry_run:
        if as_json:
            typer.echo(json.dumps(cfg.model_dump(mode="json"), indent=2))
        elif show:
            typer.echo(dump_config(cfg), nl=False)
            err.print(f"{config}: valid", style="green", highlight=False)
        else:
            typer.echo(f"{config}: valid ({cfg.task} on {cfg.data.dataset}, {cfg.train.epochs} epochs)")
        return
    from dlkit.commands.inspect import describe_model

    summary = describe_model(cfg)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table(
        "layer", "class", "output shape", "params", title=f"{cfg.name}: input {tuple(summary['input_shape'])}"
    )
    for layer in summary["layers"]:
        table.add_row(layer["name"], layer["class"], str(tuple(layer["output_shape"])), f"{layer['params']:,}")
    out.print(table)
    frozen = f", frozen {summary['frozen_params']:,}" if summary["frozen_params"] else ""
    out.print(f"params: {summary['params']:,} (trainable {summary['trainable_params']:,}{frozen})")


@app.command("list")
@user_errors
def list_(
    what: str = typer.Argument(
        "layers",
        help="tasks, layers, datasets, preprocess, callbacks, optimizers, schedules, losses, metrics, "
        "distributions, samplers, pruners, inputs or formats",
    ),
    plugin: list[Path] | None = PluginOption,
    options: str | None = typer.Option(
        None, "--options", metavar="DATASET", help="With datasets: the options one dataset takes (data.options)."
    ),
):
    """Show what a registry holds."""
    from dlkit.core.errors import UsageError
    from dlkit.core.registries import REGISTRIES
    from dlkit.core.strict import did_you_mean

    if what not in REGISTRIES:
        raise UsageError(f"dlkit list {what}: no such registry; {did_you_mean(what, REGISTRIES)}")
    if options is not None:
        return _dataset_options(what, options)
    registry = REGISTRIES[what]
    table = Table("name", "aliases", "what it is", title=f"{what} ({len(registry.names())})")
    for name, summary, aliases in registry.describe():
        table.add_row(name, ", ".join(aliases), escape(summary))
    out.print(table)


def _dataset_options(what: str, name: str) -> None:
    from dlkit.core.errors import UsageError
    from dlkit.core.registries import DATASETS
    from dlkit.core.registry import UnknownNameError
    from dlkit.data.options import options

    if what != DATASETS.listing:
        raise UsageError(f"dlkit list {what}: --options is for datasets (dlkit list datasets --options NAME)")
    try:
        name = DATASETS.canonical(name)
    except UnknownNameError as e:
        raise UsageError(f"dlkit list datasets --options: {e}") from None
    table = Table("option", "type", "default", "what it is", title=f"data.options of {name}")
    for option in options(name):
        table.add_row(option.key, escape(option.type), escape(option.default), escape(option.about))
    out.print(table)


@app.command("to-csv")
@user_errors
def to_csv(
    dataset: str = typer.Argument(..., help="A table dataset: iris, wine, breast_cancer, diabetes, boston_housing."),
    path: Path = typer.Argument(..., help="The CSV file to write."),
    plugin: list[Path] | None = PluginOption,
):
    """Write a table dataset to a CSV file (features as columns, the label in `target`), e.g. for the csv dataset."""
    from dlkit.core.errors import UsageError
    from dlkit.core.registries import DATASETS
    from dlkit.core.registry import UnknownNameError
    from dlkit.data.table import write_table

    try:
        name = DATASETS.canonical(dataset)
    except UnknownNameError as e:
        raise UsageError(f"dlkit to-csv: {e}") from None
    rows = write_table(name, path)
    err.print(f"{name}: {rows} rows written", highlight=False)
    typer.echo(str(path))


@app.command()
@user_errors
def runs(
    root: Path = typer.Argument(Path("runs"), help="The folder holding run folders."),
    sort: str | None = typer.Option(
        None, "--sort", help="A dotted key of run.json, metrics.json or config.yaml (test.accuracy: best first)."
    ),
    filter_: list[str] | None = typer.Option(
        None, "--filter", help="KEY=VALUE: only runs where the dotted key has this value (repeatable)."
    ),
    reverse: bool = typer.Option(False, "--reverse", help="The other way round."),
    plugin: list[Path] | None = PluginOption,
):
    """A table of the runs under ROOT (margin: the model's test figure shown against its best
    baseline's, positive when the model is better); --sort and --filter take any dotted key of
    run.json, metrics.json or config.yaml (--sort test.accuracy --filter dataset=digits --filter train.epochs=3).
    A run folder stopped before its run.json is shown `incomplete` (`dlkit train` removes it); a run
    whose files dlkit cannot use is listed as `bad run.json` (or the file's name), with a warning saying why."""
    from dlkit.core.run_record import BadRunFile
    from dlkit.core.runs import incomplete_runs, list_runs

    found = list_runs(root)
    if sort or filter_ or reverse:
        from dlkit.commands.compare import select

        found = select(found, sort, filter_ or [], reverse)
    columns = [
        "run",
        "status",
        "dataset",
        "epochs",
        "best",
        "test",
        "margin",
        "started",
        *([sort] if sort else ()),
    ]
    rows = []
    for path in found:
        try:
            rows.append(_runs_row(path, sort))
        except BadRunFile as e:
            rows.append([path.name, e.mark, *[""] * (len(columns) - 2)])
            err.print(f"dlkit: warning: {e}", markup=False, highlight=False)
    if not filter_:  # it has nothing a filter could match
        rows += [[path.name, "incomplete", *[""] * (len(columns) - 2)] for path in incomplete_runs(root)]
        rows = rows if sort or reverse else sorted(rows)
    # A column no run fills (a GAN's test figures) is left out rather than shown empty.
    shown = [i for i in range(len(columns)) if i < 2 or any(row[i] for row in rows)]
    table = Table(title=str(root))
    for i in shown:  # run names are shown whole: the other columns wrap first, a long name folds
        longest = max((len(row[i]) for row in rows), default=0)
        table.add_column(columns[i], min_width=longest if i == 0 else None, overflow="fold" if i == 0 else "ellipsis")
    for row in rows:  # cells come from files: shown as text (no rich markup), and clipped
        table.add_row(*(escape(row[i] if i == 0 else _clipped(row[i])) for i in shown))
    out.print(table)


def _clipped(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _runs_row(path: Path, sort: str | None) -> list[str]:
    """The run's cells; a BadRunFile where its run.json, metrics.json or config.yaml is not one
    dlkit can use (as eval and predict would find)."""
    from dlkit.commands.compare import margin, read_config
    from dlkit.core.runs import read_metrics, read_run, run_status

    info, metrics = read_run(path), read_metrics(path)
    read_config(path)
    best = info.get("best") or {}
    if not best and info.get("best_epoch"):  # nothing monitored (a GAN): the kept epoch's own figures
        best = metrics.get("train") or {}
    test = info.get("test") or {}
    headline = info.get("headline")
    if headline is None:  # runs of earlier versions
        name = next((k for k in ("accuracy", "auc", "mae", "loss") if k in test), None)
        headline = {name: test[name]} if name else {}
    ahead = margin(metrics, headline)  # over the best baseline
    row = [
        path.name,
        run_status(info),
        info.get("dataset") or "",
        str(info.get("epochs", "")),
        ", ".join(f"{k} {v:.4f}" for k, v in best.items()),
        ", ".join(f"{k} {v:.4f}" for k, v in headline.items()),
        "" if ahead is None else f"{ahead:+.3f}",
        (info.get("started") or "")[:16].replace("T", " "),
    ]
    if sort:  # the key sorted on, whatever the other columns show
        from dlkit.commands.compare import record

        row.append(_cell(record(path).get(sort)))
    return row


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)
