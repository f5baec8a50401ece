"""`dlkit init`: a first config for the user's own data."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import app, err, user_errors


@app.command("init")
@user_errors
def init_(
    data: Path = typer.Argument(
        ..., help="An image or text folder (class sub-folders), images/ and masks/, a .csv, a .npz or a .npy."
    ),
    output: Path = typer.Option(Path("config.yaml"), "--output", "-o", help="The config to write (never overwritten)."),
    target: str | None = typer.Option(
        None, "--target", help="The CSV column to predict (default: proposed, with the next candidates)."
    ),
    task: str | None = typer.Option(
        None, "--task", "-t", help="A task of `dlkit list tasks` the data can have (default: inferred)."
    ),
):
    """Look at DATA and write a commented config that trains on it. What was inferred and why (the
    target, the next candidates for it, the task) goes to stderr, one line each; the config's path
    is the one line on stdout."""
    from dlkit.autoconfig import init_config

    command = " ".join(
        ["dlkit init", str(data), *(["--target", target] if target else []), *(["--task", task] if task else [])]
    )
    draft = init_config(data, output, task, command, target)
    err.print(f"{data}: {draft.what}", markup=False, highlight=False)
    for note in draft.notes:
        err.print(f"  {note}", markup=False, highlight=False)
    err.print(f"wrote {output} (task {draft.task}); train it with: dlkit train {output}", markup=False, highlight=False)
    typer.echo(str(output))
