"""`dlkit runs`: a table of the run folders under a folder."""

from __future__ import annotations

from pathlib import Path

import typer

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
    from rich.markup import escape
    from rich.table import Table

    from dlkit.commands.runs import runs_table

    found, warnings = runs_table(root, sort, filter_ or [], reverse)
    for warning in warnings:
        err.print(f"dlkit: warning: {warning}", markup=False, highlight=False)
    table = Table(title=found.title)
    for i, column in enumerate(found.columns):  # run names are shown whole: the others wrap first, a long one folds
        longest = max((len(row[i]) for row in found.rows), default=0)
        table.add_column(column, min_width=longest if i == 0 else None, overflow="fold" if i == 0 else "ellipsis")
    for row in found.rows:  # cells come from files: shown as text (no rich markup), and clipped
        table.add_row(*(escape(cell if i == 0 else _clipped(cell)) for i, cell in enumerate(row)))
    out.print(table)


def _clipped(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
