"""`dlkit reproduce`: a run trained again from its own config, its figures compared key by key."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import TrustOption, app, err, out, rich_table, user_errors


@app.command()
@user_errors
def reproduce(
    run: Path = typer.Argument(..., help="A finished run folder (or runs/latest)."),
    runs_dir: Path | None = typer.Option(None, "--runs-dir", help="Where the new run goes; default beside RUN."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    trust_plugins: bool = TrustOption,
):
    """Train RUN again from its config.yaml into a new run folder and compare metrics.json key by key
    (RUN2/reproduce.json). Exit 1 if a deterministic run's figures differ. Prints the new folder last."""
    from dlkit.commands.reproduce import reproduce as run_reproduce

    callbacks = []
    if not quiet:
        from dlkit.cli.progress import progress

        callbacks.append(progress(err))
    command = ["dlkit", "reproduce", str(run), *(["--runs-dir", str(runs_dir)] if runs_dir else [])]
    report = run_reproduce(run, runs_dir, command=command, callbacks=callbacks)
    from dlkit.engine.task import Table

    rows = [[row["key"], _number(row["original"]), _number(row["reproduced"]),
             "same" if row["equal"] else _number(row["difference"], "+.3g")] for row in report["metrics"]]  # fmt: skip
    out.print(rich_table(Table(f"{Path(report['original']).name} again", ["figure", "original", "now", ""], rows)))
    for name, versions in report["versions_changed"].items():
        err.print(f"{name}: {versions['original']} then, {versions['reproduction']} now", highlight=False)
    fingerprint = report["dataset_fingerprint"]
    if not fingerprint["same"]:
        err.print(f"the dataset changed: fingerprint {str(fingerprint['original'])[:19]} then, "
                  f"{str(fingerprint['reproduction'])[:19]} now", markup=False, highlight=False)  # fmt: skip
    differ = sum(not row["equal"] for row in report["metrics"])
    if report["reproduced"]:
        err.print(f"reproduced: all {len(report['metrics'])} figures the same, bit for bit", highlight=False)
    else:
        how = "a deterministic run" if report["deterministic"] else "train.deterministic was off"
        err.print(f"{'dlkit: error: ' if report['deterministic'] else ''}not reproduced ({how}): "
                  f"{differ} of {len(report['metrics'])} figures differ", markup=False, highlight=False)  # fmt: skip
    typer.echo(report["reproduction"])
    if report["deterministic"] and not report["reproduced"]:
        raise typer.Exit(1)


def _number(value, spec: str = ".6g") -> str:
    return "-" if value is None else format(value, spec)
