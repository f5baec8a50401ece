"""`dlkit init`: a first config for the user's own data."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import app, user_errors


@app.command("init")
@user_errors
def init_(
    data: Path = typer.Argument(..., help="An image or text folder (class sub-folders), a .csv, a .npz or a .npy."),
    output: Path = typer.Option(Path("config.yaml"), "--output", "-o", help="The config to write (never overwritten)."),
    task: str | None = typer.Option(
        None, "--task", "-t", help="classification, binary or regression (default: inferred)."
    ),
):
    """Look at DATA and write a commented config that trains on it, printing what was inferred and
    why, one line each; prints the config's path last."""
    from dlkit.autoconfig import init_config

    command = f"dlkit init {data}" + (f" --task {task}" if task else "")
    draft = init_config(data, output, task, command)
    typer.echo(f"{data}: {draft.what}")
    for note in draft.notes:
        typer.echo(f"  {note}")
    typer.echo(f"wrote {output} (task {draft.task}); train it with: dlkit train {output}")
    typer.echo(str(output))
