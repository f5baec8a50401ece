"""`dlkit generate`: samples drawn from a GAN run's generator."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, TrustOption, app, err, user_errors


@app.command()
@user_errors
def generate(
    run: Path = typer.Argument(..., help="A GAN run folder (or runs/latest)."),
    n: int = typer.Option(64, "-n", min=1, help="How many samples."),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="The grid PNG; default RUN/samples/generated.png."),
    seed: int = typer.Option(0, "--seed", help="Seed of the latent vectors: the same seed draws the same samples."),
    npz: Path | None = typer.Option(
        None, "--npz", help="Also write the arrays: samples (raw generator output), images (uint8), latent."
    ),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Draw samples from a GAN run's generator into a PNG grid (and an .npz); prints the PNG's path."""
    from dlkit.commands.generate import generate as run_generate
    from dlkit.core.runs import resolve_run
    from dlkit.core.writing import inside

    run_dir = resolve_run(run)
    target = out_file if out_file is not None else inside(run_dir, "samples", "generated.png")
    written = run_generate(run_dir, n, seed, target, npz)
    err.print(f"{n} samples (seed {seed}) of shape {tuple(written['shape'])}", highlight=False)
    if npz is not None:
        err.print(f"arrays: {npz}", highlight=False)
    typer.echo(str(target))
