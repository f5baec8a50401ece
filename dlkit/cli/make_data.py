"""`dlkit make-data`: generated datasets to try a task on without downloading anything."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import app, out, user_errors

#: What `make-data` generates, each with what it is.
KINDS = {"shapes-segmentation": "circles, squares and triangles on noisy backgrounds, with class masks"}


@app.command("make-data")
@user_errors
def make_data(
    kind: str = typer.Argument(..., help="What to generate: shapes-segmentation."),
    folder: Path = typer.Argument(..., help="A new (or empty) folder to write into."),
    n: int = typer.Option(500, "--n", min=1, help="How many examples."),
    size: int = typer.Option(64, "--size", min=16, help="Image height and width in pixels."),
    seed: int = typer.Option(0, "--seed", help="The random seed."),
):
    """Generate a dataset into FOLDER (shapes-segmentation: images/ and masks/ for
    dataset segmentation_folder, and classes.txt). Prints the folder last."""
    from dlkit.core.errors import UsageError
    from dlkit.core.strict import did_you_mean

    if kind not in KINDS:
        raise UsageError(f"make-data: unknown kind {kind!r}; {did_you_mean(kind, KINDS)}")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder}: exists and is not an empty folder; name a new one")
    from dlkit.data.synthetic_shapes import shapes_segmentation

    try:
        shapes_segmentation(folder, n, size, seed)
    except BaseException:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)  # no half-made folder
        raise
    out.print(f"{n} {KINDS[kind]}", highlight=False)
    out.print(str(folder), highlight=False, soft_wrap=True)
