"""`dlkit list`: what a registry holds (and, for a dataset, the options it takes)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, app, out, user_errors


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
    from rich.markup import escape
    from rich.table import Table

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
    from rich.markup import escape
    from rich.table import Table

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
