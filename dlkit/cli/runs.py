"""`dlkit runs`: a table of the run folders under a folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from dlkit.cli.common import PluginOption, app, err, out, user_errors


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
