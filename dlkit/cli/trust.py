"""`dlkit trust`: trust a run folder's plug-ins on this machine, after showing them."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from dlkit.cli.common import app, err, out, user_errors

#: Lines of each plug-in shown before asking.
SHOWN_LINES = 12


@app.command()
@user_errors
def trust(
    run: Path = typer.Argument(..., help="A run folder (or runs/latest), e.g. one a colleague sent."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Trust without asking (scripts; read the plug-ins first)."),
):
    """Show the plug-ins RUN's config imports (file, sha256, size, first lines), then trust them on
    this machine, so eval, predict, export, attack, serve and --resume open it without
    --trust-plugins. Asks first on a terminal; --yes for scripts."""
    from dlkit.config.loader import run_config_plugins
    from dlkit.core.errors import UsageError
    from dlkit.core.plugins import add_trusted, trusted
    from dlkit.core.runs import resolve_run

    run_dir = resolve_run(run)
    found = run_config_plugins(run_dir)
    if not found:
        typer.echo(f"{run_dir}: no plug-ins; nothing to trust")
        return
    known = trusted()
    for plugin in found:
        _show(plugin, plugin.sha256 in known)
    new = [plugin for plugin in found if plugin.sha256 not in known]
    if not new:
        typer.echo(f"{run_dir}: its {_count(found)} already trusted on this machine")
        return
    if not yes:
        if not _on_terminal():
            raise UsageError(f"no terminal to ask on; read the plug-ins above, then: dlkit trust {run} --yes")
        if not typer.confirm(f"Trust {_count(new)} on this machine? Importing runs their code", default=False):
            err.print("dlkit: nothing trusted", markup=False, highlight=False)
            raise typer.Exit(1)
    store = add_trusted([(plugin.sha256, str(plugin.path)) for plugin in new], "dlkit trust")
    err.print(f"recorded in {store}", markup=False, highlight=False)
    typer.echo(f"{run_dir}: {_count(new)} trusted on this machine")


def _on_terminal() -> bool:
    return sys.stdin.isatty()


def _show(plugin, known: bool) -> None:
    data = plugin.path.read_bytes()
    lines = data.decode(errors="replace").splitlines()
    state = "trusted" if known else "NOT trusted"
    out.print(f"{plugin.path}  {plugin.sha256}  {len(data):,} bytes, {len(lines):,} lines, {state}",
              markup=False, highlight=False)  # fmt: skip
    for line in lines[:SHOWN_LINES]:
        out.print(f"  | {line}", markup=False, highlight=False)
    if len(lines) > SHOWN_LINES:
        out.print(f"  | ... {len(lines) - SHOWN_LINES:,} more lines", markup=False, highlight=False)


def _count(plugins: list) -> str:
    return "1 plug-in" if len(plugins) == 1 else f"{len(plugins)} plug-ins"
