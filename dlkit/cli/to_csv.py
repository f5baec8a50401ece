"""`dlkit to-csv`: a table dataset written to a CSV file."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, app, err, user_errors


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
    from dlkit.data.to_csv import write_table

    try:
        name = DATASETS.canonical(dataset)
    except UnknownNameError as e:
        raise UsageError(f"dlkit to-csv: {e}") from None
    rows = write_table(name, path)
    err.print(f"{name}: {rows} rows written", highlight=False)
    typer.echo(str(path))
