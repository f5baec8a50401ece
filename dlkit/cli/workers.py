"""`dlkit train --local-workers N` and `--cluster ... --task-index I`: a multi_worker run's cluster."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.core.errors import UsageError


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
        out = run_local_workers(
            local_workers, chief, lambda folder: [str(config), *sets, "--runs-dir", str(folder)], resume, runs_dir
        )
        typer.echo(out, nl=False)
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
