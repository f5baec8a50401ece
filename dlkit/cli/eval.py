"""`dlkit eval`: a finished run scored on a split (a GAN's samples with --classifier)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import BackendOption, PluginOption, SetOption, TrustOption, app, err, out, rich_table, user_errors


@app.command("eval")
@user_errors
def eval_(
    run: Path = typer.Argument(..., help="A run folder (or runs/latest)."),
    split: str = typer.Option("test", "--split", help="train, val or test."),
    set_: list[str] | None = SetOption,
    classifier: Path | None = typer.Option(
        None, "--classifier", help="GAN runs: a classification run on the same data that scores the samples."
    ),
    samples: int | None = typer.Option(
        None, "--samples", "-n", min=1, help="GAN runs: how many samples to score (default 1000)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="GAN runs: the seed of the latent vectors (default 0)."),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
    backend: str | None = BackendOption,
):
    """Evaluate a finished run on a split (a GAN's samples with --classifier); writes RUN/eval/."""
    from dlkit.commands.eval import evaluate_run
    from dlkit.core.errors import UsageError
    from dlkit.core.runs import resolve_run

    if split not in ("train", "val", "test"):
        raise UsageError(f"--split: expected train, val or test. Received: {split!r}")
    run_dir = resolve_run(run)
    report = evaluate_run(run_dir, split, set_ or [], classifier=classifier, samples=samples, seed=seed)
    for table in report.tables:
        out.print(rich_table(table))
    for warning in report.warnings:
        err.print(f"dlkit: warning: {warning}", markup=False, highlight=False)
    typer.echo(str(run_dir / "eval"))
