"""`dlkit train`: train an experiment (or resume a run), on one machine or across workers
(`--local-workers N`, `--cluster ... --task-index I`: a multi_worker run's cluster)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import (
    BackendOption,
    PluginOption,
    RunsDirOption,
    SetOption,
    TrustOption,
    app,
    err,
    out,
    rich_table,
    user_errors,
    with_backend,
)
from dlkit.core.errors import UsageError


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
    backend: str | None = BackendOption,
):
    """Train the experiment (or --resume a run); prints the run folder as the last line."""
    _check_options(config, set_, resume, extend_epochs, force)
    if backend and resume is not None:
        raise UsageError("--backend does not go with --resume: a run goes on on the backend it trained on")
    set_ = with_backend(set_, backend)
    if local_workers is not None or cluster is not None or task_index is not None:
        across_workers(config, set_, runs_dir, resume, extend_epochs, force, plugin, local_workers, cluster,
                       task_index, quiet)  # fmt: skip
        return
    callbacks = []
    if not quiet:
        from dlkit.cli.progress import progress

        callbacks.append(progress(err))
    if resume is not None:
        run_dir = _resume(resume, extend_epochs, force, callbacks)
    else:
        run_dir = _train(config, set_ or [], plugin or [], runs_dir, callbacks)
    _show(run_dir, verbose)
    typer.echo(str(run_dir))


def _check_options(config, set_, resume, extend_epochs, force) -> None:
    if (config is None) == (resume is None):
        raise UsageError("give a CONFIG to train, or --resume RUN (not both)")
    if resume is None and (extend_epochs or force):
        raise UsageError("--extend-epochs and --force go with --resume RUN")
    if resume is not None and set_:
        raise UsageError("--set does not go with --resume: the run keeps its config.yaml")


def _say(message: str) -> None:
    err.print(message, highlight=False, markup=False)


def _train(config: Path, set_: list[str], plugin: list[Path], runs_dir: Path, callbacks: list) -> Path:
    from dlkit.config import load_config

    cfg = load_config(config, set_, plugin)
    from dlkit.core import spare_plots

    spare_plots.start()  # matplotlib imports on another core while TensorFlow does here
    from dlkit.training.trainer import train as run_training

    # The command as a user would type it again (sys.argv is the test runner's in-process).
    sets = [a for s in set_ for a in ("--set", s)] + [a for p in plugin for a in ("--plugin", str(p))]
    command = ["dlkit", "train", str(config), *sets, "--runs-dir", str(runs_dir)]
    run_dir = run_training(cfg, runs_dir=runs_dir, command=command, callbacks=callbacks, say=_say)
    spare_plots.wait()  # a task that draws without training's finish (a GAN's curves)
    return run_dir


def _resume(run: Path, extend_epochs: int | None, force: bool, callbacks: list) -> Path:
    from dlkit.core import spare_plots
    from dlkit.core.backend import choose_backend
    from dlkit.core.runs import RUN_FILE, resolve_run, run_backend

    run_dir = resolve_run(run)
    choose_backend(run_backend(run_dir), f"{run_dir / RUN_FILE}: backend")  # before Keras's import: its own
    spare_plots.start()
    from dlkit.training.resume import resume

    extend = ["--extend-epochs", str(extend_epochs)] if extend_epochs else []
    command = ["dlkit", "train", "--resume", str(run), *extend]
    run_dir = resume(run, force=force, extend_epochs=extend_epochs, callbacks=callbacks, command=command, say=_say)
    spare_plots.wait()
    return run_dir


def _show(run_dir: Path, verbose: bool) -> None:
    """The run's figures (and pruning's, calibration's); with --verbose where the time went; last on
    stderr, a warning when the model does not beat the trivial baseline on the test split."""
    from dlkit.commands.summary import summarize_run

    summary = summarize_run(run_dir)
    for table in summary.tables:
        out.print(rich_table(table))
    if verbose and summary.timings:
        out.print("time: " + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in summary.timings.items()))
    if summary.warning:
        err.print(f"dlkit: warning: {summary.warning}", markup=False, highlight=False)


def across_workers(config, set_, runs_dir, resume, extend_epochs, force, plugin, local_workers, cluster,
                   task_index, quiet) -> None:  # fmt: skip
    """Start the local workers, or this machine's worker of --cluster (in a process of its own,
    watched until the cluster gathers), and wait for them."""
    from dlkit.training.distributed.launch import cluster_config, is_chief, run_cluster_worker, run_local_workers

    if local_workers is not None and (cluster is not None or task_index is not None):
        raise UsageError("--local-workers starts workers here, --cluster/--task-index names them: one or the other")
    if cluster is None and task_index is not None:
        raise UsageError("--task-index goes with --cluster host1:port,host2:port,...")
    if resume is not None:
        from dlkit.core.runs import resolve_run

        resume = resolve_run(resume)
    _check_strategy(config, set_, plugin, resume)
    sets = [a for s in set_ or [] for a in ("--set", s)] + [a for p in plugin or [] for a in ("--plugin", str(p))]
    go_on = ["--resume", str(resume), *(["--extend-epochs", str(extend_epochs)] if extend_epochs else [])]
    go_on += ["--force"] if force else []
    if local_workers is not None:
        chief = go_on if resume is not None else [str(config), *sets, "--runs-dir", str(runs_dir)]
        printed = run_local_workers(
            local_workers, chief, lambda folder: [str(config), *sets, "--runs-dir", str(folder)], resume, runs_dir
        )
        typer.echo(printed, nl=False)
        return
    tf_config = cluster_config(cluster, task_index)
    chief = is_chief(tf_config)

    def args(scratch: Path) -> list[str]:
        own = go_on if resume is not None else [str(config), *sets, "--runs-dir", str(runs_dir if chief else scratch)]
        return [*own, *(["-q"] if quiet else [])]

    code = run_cluster_worker(args, tf_config, chief, [a.strip() for a in cluster.split(",")])
    if code:
        raise typer.Exit(code)
    if not chief:
        typer.echo(f"worker {task_index}: done; the chief ({cluster.split(',')[0]}) holds the run folder")


def _check_strategy(config, set_, plugin, resume) -> None:
    from dlkit.config import load_config, load_run_config

    cfg = load_run_config(resume) if resume is not None else load_config(config, set_ or [], plugin or [])
    spec = getattr(cfg.train, "distribute", None)
    if spec is None or spec.strategy != "multi_worker":
        raise UsageError(
            "--local-workers and --cluster train with train.distribute.strategy: multi_worker; "
            "add --set train.distribute.strategy=multi_worker"
        )
