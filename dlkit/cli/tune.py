"""`dlkit tune`: search a config's tune: space with Optuna, and show the leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlkit.cli.common import PluginOption, RunsDirOption, SetOption, TrustOption, app, err, out, user_errors

if TYPE_CHECKING:
    from rich.table import Table


@app.command()
@user_errors
def tune(
    config: Path = typer.Argument(..., help="An experiment YAML file with a tune: section."),
    set_: list[str] | None = SetOption,
    trials: int | None = typer.Option(
        None, "--trials", min=1, help="Trials the study should hold (default tune.trials)."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes running trials at once on this machine."),
    storage: str | None = typer.Option(
        None, "--storage", help="An SQLAlchemy database URL (postgresql://...) shared by every machine of the study."
    ),
    study: str | None = typer.Option(None, "--study", help="The study (and its folder under --runs-dir) to work on."),
    new: bool = typer.Option(False, "--new", help="Start a new study rather than continue this config's last one."),
    runs_dir: Path = RunsDirOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No line per trial."),
    worker: int = typer.Option(0, "--worker", hidden=True, help="Set on the extra worker processes."),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Search the config's tune: space with Optuna; prints the leaderboard and the study folder as the last line."""
    from dlkit.tuning.search import search

    def say(message: str) -> None:
        if not quiet:
            err.print(message, markup=False, highlight=False)

    folder, summary = search(
        config, set_ or [], runs_dir=runs_dir, trials=trials, workers=workers, storage=storage, study=study,
        new=new, worker=worker, plugins=plugin or [], say=say,
    )  # fmt: skip
    if summary is not None:
        out.print(_leaderboard(summary))
        best = summary["best"]
        if best:
            err.print(f"best: trial {best['trial']}, {summary['metric']} {best['value']:.4f}; "
                      f"dlkit train {folder.path / 'best.yaml'}", markup=False, highlight=False)  # fmt: skip
    typer.echo(str(folder.path))


def _leaderboard(summary: dict) -> Table:
    from rich.table import Table

    metric, rows = summary["metric"], summary["trials"]
    keys = [
        k for k in (rows[0] if rows else {}) if k not in ("trial", "state", metric, "epochs", "seconds", "run", "error")
    ]
    states = ", ".join(f"{n} {s}" for s, n in summary["states"].items() if n)
    table = Table("trial", "state", metric, "epochs", title=f"{summary['study']}: {states}")
    for key in keys:  # dotted keys are long: fold them rather than cut them
        table.add_column(key, overflow="fold")
    table.add_column("seconds")
    for row in rows:
        value = row[metric]
        shown = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in (row[k] for k in keys)]
        state = row["state"] if not row["error"] else f"{row['state']}: {row['error'][:60]}"
        table.add_row(str(row["trial"]), state, "" if value is None else f"{value:.4f}", str(row["epochs"]),
                      *shown, "" if row["seconds"] is None else f"{row['seconds']:.0f}")  # fmt: skip
    return table
