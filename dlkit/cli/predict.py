"""`dlkit predict`: a run's model on files, folders or texts, one row per example."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlkit.cli.common import (
    BackendOption,
    PluginOption,
    RunsDirOption,
    SetOption,
    TrustOption,
    app,
    err,
    out,
    user_errors,
)

if TYPE_CHECKING:
    from rich.table import Table

#: How many rows the table shows (unless --all): the rest are counted under it, and in --output.
HEAD = 20


@app.command()
@user_errors
def predict(
    inputs: list[Path] | None = typer.Argument(
        None, help="[RUN] then image files, CSV files, .txt files, or folders of them (or of class sub-folders)."
    ),
    text: list[str] | None = typer.Option(None, "--text", help="A text to classify (repeatable; text runs)."),
    run: Path | None = typer.Option(
        None, "--run", help="Run folder (or give it first); default: the newest finished run."
    ),
    top_k: int = typer.Option(3, "--top-k", min=1, help="How many classes to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write every prediction to a CSV file, as they come (the table shows the first)."
    ),
    all_rows: bool = typer.Option(False, "--all", help=f"Print every row in the table, not the first {HEAD}."),
    overlay: bool = typer.Option(False, "--overlay", help="Segmentation: also write each mask over its image."),
    set_: list[str] | None = SetOption,
    runs_dir: Path = RunsDirOption,
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
    backend: str | None = BackendOption,
):
    """Predict with a run's model (`dlkit predict RUN INPUT...`, or --run RUN); one row per example.
    The table shows the first rows and a count (--all: every row, wherever stdout goes; none when
    stdout is not a terminal and --output takes them). A target column, or class sub-folders named
    as the run's classes, is scored on stderr. Exit 1 if any input could not be read."""
    import json

    from dlkit.core.errors import UsageError
    from dlkit.core.runs import resolve_run

    if output is not None and output.suffix.lower() != ".csv":
        raise UsageError(
            f"--output {output}: predictions are written as CSV; name the file .csv "
            "(a segmentation run writes its mask images into RUN/predictions/ itself)"
        )
    run, inputs = _run_and_inputs(list(inputs or []), run, text)
    run_dir = resolve_run(run, runs_dir)
    from dlkit.predict.run import predict as run_predict

    table = not as_json and (output is None or sys.stdout.isatty() or all_rows)  # --all asks for them
    keep = None if as_json else (None if all_rows else HEAD) if table else 0  # rows nothing prints are let go
    options = {"overlay": True} if overlay else {}
    result = run_predict(run_dir, inputs, text or [], top_k, set_ or [], options, output, keep)
    if as_json:
        typer.echo(json.dumps({"run": str(run_dir), "predictions": result.rows}, indent=2))
    elif table:
        out.print(_predictions_table(result, str(run_dir)))
        if result.total > len(result.rows):
            out.print(_summary(result, output), markup=False, highlight=False)
    else:
        err.print(f"dlkit: {_count_line(result)} written to {output}", markup=False, highlight=False)
    if _say_on_stderr(result, named=run is not None):
        raise typer.Exit(1)


def _summary(result, output: Path | None) -> str:
    """The line under a table that shows the first rows: how many there were, and where the rest are."""
    rest = f"all of them are in {output}" if output is not None else "--output FILE writes them all, --all prints them"
    return f"the first {len(result.rows)} of {_count_line(result)}; {rest}"


def _count_line(result) -> str:
    """`200,000 predictions (3 could not be made)`, the numbers written as the rest of dlkit writes them."""
    from dlkit.predict.results import count

    failed = f" ({len(result.errors):,} could not be made)" if result.errors else ""
    return f"{count(result.total, 'prediction')}{failed}"


def _run_and_inputs(inputs: list[Path], run: Path | None, text: list[str] | None) -> tuple[Path | None, list[Path]]:
    """The run (the first argument when it is one, or --run) and the inputs to predict."""
    from dlkit.core.errors import UsageError
    from dlkit.core.runs import run_argument

    first = run_argument(inputs[0]) if inputs else None
    if first is not None:
        if run is not None:
            raise UsageError(f"two runs: {inputs[0]} (the first argument) and --run {run}; name the run once")
        run, inputs = first, inputs[1:]
    if not inputs and not text:
        raise UsageError("nothing to predict: give files or folders (after the run), or --text")
    return run, inputs


def _say_on_stderr(result, named: bool) -> bool:
    """The warnings, the score against the inputs' known answers, and a line per input that could
    not be predicted; True when there was one."""
    for warning in [*result.unseen, *result.warnings]:
        err.print(f"dlkit: warning: {warning}", markup=False, highlight=False)
    if result.score is not None:
        err.print(str(result.score), markup=False, highlight=False)
    for name, error in result.errors:
        err.print(f"dlkit: error: {name}: {error}", markup=False, highlight=False)
    if result.errors and not named:  # the user did not name the run: say which one could not take these inputs
        summary = f"{result.run}: {len(result.errors)} of {result.total} inputs could not be predicted"
        err.print(f"dlkit: error: {summary}", markup=False, highlight=False)
    return bool(result.errors)


def _predictions_table(result, title: str) -> Table:
    """The predictions, without the columns the task or every row leaves empty (a regression has no
    probabilities)."""
    from rich.markup import escape
    from rich.table import Table

    rows, shown, headers = result.rows, result.shown, result.columns
    good = [cells for row, cells in zip(rows, shown, strict=True) if "error" not in row]
    kept = [i for i in range(len(headers)) if i == 0 or (headers[i] and any(cells[i] for cells in good))]
    table = Table("input", *(headers[i] for i in kept), title=title)
    for row, cells in zip(rows, shown, strict=True):
        if "error" in row:
            table.add_row(row["input"], f"[red]{escape(row['error'])}[/red]", *[""] * (len(kept) - 1))
        else:
            table.add_row(row["input"], *(escape(cells[i]) for i in kept))
    return table
