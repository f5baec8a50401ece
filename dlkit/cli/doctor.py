"""`dlkit doctor`: is this installation ready to train, and what to fix if not."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import RunsDirOption, app, err, out, user_errors


@app.command()
@user_errors
def doctor(runs_dir: Path = RunsDirOption):
    """Check this installation: versions, extras, CPU features, GPUs, the Keras cache and the
    datasets in it, that the runs folder is writable, and a 2-second fit on generated data.
    Exit 1, with what to fix, when something is wrong."""
    from rich.markup import escape
    from rich.table import Table

    from dlkit.commands.doctor import run_checks

    table = Table("check", "", "what was found", title="dlkit doctor")
    failed = []
    for check in run_checks(runs_dir):
        table.add_row(check.name, "[red]FAIL[/red]" if check.fix else "[green]ok[/green]", escape(check.detail))
        if check.fix:
            failed.append(check)
    out.print(table)
    for check in failed:
        err.print(f"dlkit: error: {check.name}: {check.detail}; fix: {check.fix}", markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)
