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
    tune: bool = typer.Option(
        False, "--tune", help="Tables: add a `tune:` search space and trial budget for `dlkit tune`."
    ),
):
    """Look at DATA and write a commented config that trains on it. What was inferred and why (the
    target, the next candidates for it, the task) goes to stderr, one line each; the config's path
    is the one line on stdout."""
    from dlkit.autoconfig import init_config

    given = [
        *(["--target", target] if target else []),
        *(["--task", task] if task else []),
        *(["--tune"] if tune else []),
    ]
    command = " ".join(["dlkit init", str(data), *given])
    draft = init_config(data, output, task, command, target, tune)
    err.print(f"{data}: {draft.what}", markup=False, highlight=False)
    for note in draft.notes:
        err.print(f"  {note}", markup=False, highlight=False)
    then = f"dlkit tune {output}" if tune else f"dlkit train {output}"
    err.print(
        f"wrote {output} (task {draft.task}); {'tune' if tune else 'train'} it with: {then}",
        markup=False,
        highlight=False,
    )
    typer.echo(str(output))
