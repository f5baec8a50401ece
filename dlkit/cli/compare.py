"""`dlkit compare`: runs side by side, their learning curves in one PNG."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import app, err, out, rich_table, user_errors


@app.command()
@user_errors
def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders; a study's or a cv's folder stands for its runs."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    out_file: Path = typer.Option(
        Path("compare.png"), "--out", "-o", help="The learning curves' PNG (a compare.json is written beside it)."
    ),
):
    """Runs side by side: the config keys that differ, every figure per split (best marked *), their
    baselines' test figures, and the learning curves overlaid in one PNG, whose path is printed last."""
    import json

    from dlkit.commands.compare import compare_runs, gather
    from dlkit.core.errors import UsageError

    if out_file.suffix.lower() != ".png":
        raise UsageError(f"--out: the curves are a PNG; expected a .png file. Received: {out_file}")
    found, skipped = gather(runs)
    for problem in skipped:  # a run of a folder (a study's, a cv's) whose files dlkit cannot use
        err.print(f"dlkit: warning: left out: {problem}", markup=False, highlight=False)
    result, panels = compare_runs(found, skipped, out_file)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for table in _tables(found, result["config"], result["metrics"], result["baselines"]):
        out.print(rich_table(table))
    if not panels:
        err.print("dlkit: warning: no run has a history.csv; no curves drawn", markup=False, highlight=False)
        return
    err.print(f"curves of {', '.join(panels)} below; the tables as JSON in {out_file.with_suffix('.json')}",
              markup=False, highlight=False)  # fmt: skip
    typer.echo(str(out_file))


def _tables(found, differ: dict, metrics: dict, baselines: dict) -> list:
    from dlkit.engine.task import Table

    labels = [r.label for r in found]
    rows = [[key, *(_shown(values[label]) if label in values else "-" for label in labels)]
            for key, values in differ.items()]  # fmt: skip
    counted = "1 key differs" if len(differ) == 1 else f"{len(differ)} keys differ"
    title = f"config: {counted}" if differ else "config: the same in every run"
    tables = [Table(title, ["key", *labels], rows)]
    rows = []
    for split, figures in metrics.items():
        for name, row in figures.items():
            values = row["values"]
            rows.append([split, f"{name} {'↑' if row['direction'] == 'up' else '↓'}", *(
                f"{values[label]:.4f}{' *' if label in row['best'] else ''}" if label in values else "-"
                for label in labels)])  # fmt: skip
    tables.append(Table("metrics (* best)", ["split", "metric", *labels], rows))
    rows = [[baseline, name, *(f"{values[label]:.4f}" if label in values else "-" for label in labels)]
            for baseline, splits in baselines.items() for name, values in splits.get("test", {}).items()]  # fmt: skip
    if rows:  # the test split's: what each run's model must beat there (the JSON has val too)
        tables.append(Table("baselines on the test split", ["baseline", "metric", *labels], rows))
    return tables


def _shown(value) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)
