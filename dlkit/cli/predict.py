"""`dlkit predict`: a run's model on files, folders or texts, one row per example."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from dlkit.cli.common import PluginOption, RunsDirOption, SetOption, TrustOption, app, err, out, user_errors


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
    output: Path | None = typer.Option(None, "--output", "-o", help="Also write the predictions to a CSV file."),
    overlay: bool = typer.Option(False, "--overlay", help="Segmentation: also write each mask over its image."),
    set_: list[str] | None = SetOption,
    runs_dir: Path = RunsDirOption,
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Predict with a run's model (`dlkit predict RUN INPUT...`, or --run RUN); one row per example.
    A target column, or class sub-folders named as the run's classes, is scored on stderr. Exit 1
    if any input could not be read."""
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

    result = run_predict(run_dir, inputs, text or [], top_k, set_ or [], {"overlay": True} if overlay else {})
    if output is not None:
        result.write_csv(output)
    if as_json:
        typer.echo(json.dumps({"run": str(run_dir), "predictions": result.rows}, indent=2))
    else:
        out.print(_predictions_table(result, str(run_dir)))
    if _say_on_stderr(result, named=run is not None):
        raise typer.Exit(1)


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
    rows = result.rows
    for warning in [*result.unseen, *result.warnings]:
        err.print(f"dlkit: warning: {warning}", markup=False, highlight=False)
    if result.score is not None:
        err.print(str(result.score), markup=False, highlight=False)
    failed = [row for row in rows if "error" in row]
    for row in failed:
        err.print(f"dlkit: error: {row['input']}: {row['error']}", markup=False, highlight=False)
    if failed and not named:  # the user did not name the run: say which one could not take these inputs
        summary = f"{result.run}: {len(failed)} of {len(rows)} inputs could not be predicted"
        err.print(f"dlkit: error: {summary}", markup=False, highlight=False)
    return bool(failed)


def _predictions_table(result, title: str) -> Table:
    """The predictions, without the columns the task or every row leaves empty (a regression has no
    probabilities)."""
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
