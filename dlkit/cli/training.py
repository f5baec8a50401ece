"""`dlkit train` and `dlkit tune`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from dlkit.cli.common import PluginOption, RunsDirOption, SetOption, TrustOption, app, err, out, rich_table, user_errors


@app.command()
@user_errors
def train(
    config: Path | None = typer.Argument(None, help="The experiment YAML file."),
    set_: list[str] | None = SetOption,
    runs_dir: Path = RunsDirOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print where the time went (phase timings)."),
    resume: Path | None = typer.Option(
        None, "--resume", help="Continue this interrupted run, in its folder, from its last checkpoint."
    ),
    extend_epochs: int | None = typer.Option(
        None,
        "--extend-epochs",
        min=1,
        help="With --resume: train this many epochs beyond the last checkpoint. A completed run stays as it "
        "was: the training goes on in a new run folder beside it (an interrupted one goes on in its own).",
    ),
    force: bool = typer.Option(False, "--force", help="With --resume: accept a changed config or dataset."),
    plugin: list[Path] | None = PluginOption,
    local_workers: int | None = typer.Option(
        None, "--local-workers", min=1, help="train.distribute.strategy multi_worker: start N workers on this machine."
    ),
    cluster: str | None = typer.Option(
        None, "--cluster", help="multi_worker: every worker's host:port, comma-separated (the first is the chief)."
    ),
    task_index: int | None = typer.Option(None, "--task-index", help="With --cluster: this worker's place, from 0."),
    trust_plugins: bool = TrustOption,
):
    """Train the experiment (or --resume a run); prints the run folder as the last line."""
    from dlkit.core.errors import UsageError

    if (config is None) == (resume is None):
        raise UsageError("give a CONFIG to train, or --resume RUN (not both)")
    if resume is None and (extend_epochs or force):
        raise UsageError("--extend-epochs and --force go with --resume RUN")
    if resume is not None and set_:
        raise UsageError("--set does not go with --resume: the run keeps its config.yaml")
    if local_workers is not None or cluster is not None or task_index is not None:
        from dlkit.cli.workers import across_workers

        across_workers(config, set_, runs_dir, resume, extend_epochs, force, plugin, local_workers, cluster,
                       task_index, quiet)  # fmt: skip
        return
    callbacks = []
    if not quiet:
        from dlkit.cli.progress import progress

        callbacks.append(progress(err))

    def say(message: str) -> None:
        err.print(message, highlight=False, markup=False)

    if resume is not None:
        from dlkit.training.resume import resume as resume_run

        command = ["dlkit", "train", "--resume", str(resume)] + (
            ["--extend-epochs", str(extend_epochs)] if extend_epochs else []
        )
        run_dir = resume_run(
            resume, force=force, extend_epochs=extend_epochs, callbacks=callbacks, command=command,
            say=say,
        )  # fmt: skip
    else:
        from dlkit.config import load_config

        cfg = load_config(config, set_ or [], plugin or [])
        from dlkit.training.trainer import train as run_training

        # The command as a user would type it again (sys.argv is the test runner's in-process).
        sets = [a for s in set_ or [] for a in ("--set", s)] + [a for p in plugin or [] for a in ("--plugin", str(p))]
        command = ["dlkit", "train", str(config), *sets, "--runs-dir", str(runs_dir)]
        run_dir = run_training(cfg, runs_dir=runs_dir, command=command, callbacks=callbacks, say=say)
    from dlkit.engine.task import Table as TaskTable

    metrics = json.loads((run_dir / "metrics.json").read_text())
    info = json.loads((run_dir / "run.json").read_text())
    monitor = info.get("best", {})
    chosen = f"best model ({', '.join(monitor)})" if monitor else "last epoch"
    out.print(rich_table(TaskTable.of_metrics(metrics, f"{run_dir.name}: {chosen}")))
    if "sparsity" in metrics:
        out.print(rich_table(TaskTable.of_sparsity(metrics, f"{run_dir.name}: pruning")))
    calibrated = run_dir / "calibration.json"
    if calibrated.is_file():
        figures = json.loads(calibrated.read_text())
        splits = {name: figures[name] for name in ("val", "test") if name in figures}
        title = f"{run_dir.name}: temperature scaling"
        out.print(rich_table(TaskTable.of_calibration(splits, figures["temperature"], title)))
    if verbose and info.get("timings"):
        out.print("time: " + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in info["timings"].items()))
    _say_verdict(run_dir, metrics)
    typer.echo(str(run_dir))


def _say_verdict(run_dir: Path, metrics: dict) -> None:
    """A warning, last on stderr, when the model does not beat the trivial baseline on the test split."""
    from dlkit.config.loader import load_run_config
    from dlkit.engine.score import verdict
    from dlkit.engine.task import task_of

    if "baselines" in metrics and (warning := verdict(task_of(load_run_config(run_dir)), metrics)):
        err.print(f"dlkit: warning: {warning}", markup=False, highlight=False)


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
