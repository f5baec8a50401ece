"""`dlkit cv`: k-fold cross-validation of an experiment."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, RunsDirOption, SetOption, TrustOption, app, err, out, rich_table, user_errors


@app.command()
@user_errors
def cv(
    config: Path = typer.Argument(..., help="The experiment YAML file."),
    set_: list[str] | None = SetOption,
    folds: int = typer.Option(5, "--folds", help="Folds the data (less the test split) is cut into."),
    repeats: int = typer.Option(1, "--repeats", help="Cut it this many times, each with its own shuffle."),
    workers: int = typer.Option(1, "--workers", help="Processes training folds at once on this machine."),
    new: bool = typer.Option(False, "--new", help="Start a new cv folder rather than continue this config's last one."),
    runs_dir: Path = RunsDirOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    folder: str | None = typer.Option(None, "--folder", hidden=True, help="Set on the extra worker processes."),
    worker: int = typer.Option(0, "--worker", hidden=True, help="Set on the extra worker processes."),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Cross-validate: each fold a run folder in runs/<name>-cv-<stamp>/ validating on its part and
    testing on the held-out test split; cv.json and a table give each figure's mean, standard
    deviation and 95% interval of the mean (Student t, clipped to the figure's range). Running it
    again continues the missing folds. Prints the cv folder last."""
    from dlkit.crossval.run import check_request

    check_request(folds, repeats, workers)  # before TensorFlow loads
    from dlkit.crossval.run import cross_validate
    from dlkit.crossval.summary import table

    def progress() -> list:
        if quiet:
            return []
        from dlkit.cli.progress import progress

        return [progress(err)]

    def say(message: str) -> None:
        err.print(message, markup=False, highlight=False)

    cv_dir, result = cross_validate(
        config, set_ or [], folds=folds, repeats=repeats, runs_dir=runs_dir, new=new, workers=workers,
        worker=worker, folder=folder, plugins=plugin or [], progress=progress, say=say,
    )  # fmt: skip
    if result is not None:
        title = f"{cv_dir.name}: {folds} folds" + (f" x {repeats} repeats" if repeats > 1 else "")
        out.print(rich_table(table(result, title)))
        err.print(result["interval"], markup=False, highlight=False)
    typer.echo(str(cv_dir))
