"""The `dlkit` command: parses options, calls the core, prints. TensorFlow loads only in the
commands that need it, so `--help`, `validate` and config errors stay fast."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dlkit.errors import DlkitError
from dlkit.version import __version__

app = typer.Typer(
    name="dlkit",
    help="Train Keras models from a YAML experiment file; evaluate and predict from the run folder.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _console(stream) -> Console:
    """Pipes and CI logs get 120 columns (or $COLUMNS) rather than rich's 80, so tables stay readable."""
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", 120))
    return Console(stderr=stream is sys.stderr, soft_wrap=True, width=width)


out, err = _console(sys.stdout), _console(sys.stderr)

SetOption = typer.Option(None, "--set", "-s", help="Override a config value: KEY.PATH=VALUE (repeatable).")
RunsDirOption = typer.Option(Path("runs"), "--runs-dir", help="Where run folders live.")
PluginOption = typer.Option(
    None, "--plugin", help="A Python file registering your own components (repeatable; docs/extending.md)."
)


def _user_errors(command):
    """Show a DlkitError as one line and exit with its code; DLKIT_DEBUG=1 shows the traceback.
    The command's `--plugin` files are imported first."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            if kwargs.get("plugin"):
                from dlkit.plugins import load_plugins

                load_plugins(kwargs["plugin"])
            return command(*args, **kwargs)
        except DlkitError as e:
            if os.environ.get("DLKIT_DEBUG") == "1":
                raise
            for line in str(e).splitlines():
                err.print(f"dlkit: error: {line}", markup=False, highlight=False)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("dlkit: interrupted", markup=False)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool):
    if value:
        typer.echo(f"dlkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    pass


@app.command()
@_user_errors
def train(
    config: Path | None = typer.Argument(None, help="The experiment YAML file."),
    set_: list[str] | None = SetOption,
    runs_dir: Path = RunsDirOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
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
):
    """Train the experiment (or --resume a run); prints the run folder as the last line."""
    from dlkit.errors import UsageError

    if (config is None) == (resume is None):
        raise UsageError("give a CONFIG to train, or --resume RUN (not both)")
    if resume is None and (extend_epochs or force):
        raise UsageError("--extend-epochs and --force go with --resume RUN")
    if resume is not None and set_:
        raise UsageError("--set does not go with --resume: the run keeps its config.yaml")
    callbacks = []
    if not quiet:
        from dlkit.ui.progress import RichProgress

        callbacks.append(RichProgress(err))
    if resume is not None:
        from dlkit.training.resume import resume as resume_run

        command = ["dlkit", "train", "--resume", str(resume)] + (
            ["--extend-epochs", str(extend_epochs)] if extend_epochs else []
        )
        run_dir = resume_run(
            resume, force=force, extend_epochs=extend_epochs, callbacks=callbacks, command=command,
            say=lambda message: err.print(message, highlight=False, markup=False),
        )  # fmt: skip
    else:
        from dlkit.config import load_config

        cfg = load_config(config, set_ or [], plugin or [])
        from dlkit.training.trainer import train as run_training

        # The command as a user would type it again (sys.argv is the test runner's in-process).
        sets = [a for s in set_ or [] for a in ("--set", s)] + [a for p in plugin or [] for a in ("--plugin", str(p))]
        command = ["dlkit", "train", str(config), *sets, "--runs-dir", str(runs_dir)]
        run_dir = run_training(cfg, runs_dir=runs_dir, command=command, callbacks=callbacks)
    from dlkit.tasks import Table as TaskTable

    metrics = json.loads((run_dir / "metrics.json").read_text())
    monitor = json.loads((run_dir / "run.json").read_text()).get("best", {})
    chosen = f"best model ({', '.join(monitor)})" if monitor else "last epoch"
    out.print(_table(TaskTable.of_metrics(metrics, f"{run_dir.name}: {chosen}")))
    typer.echo(str(run_dir))


@app.command()
@_user_errors
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


@app.command("eval")
@_user_errors
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
):
    """Evaluate a finished run on a split (a GAN's samples with --classifier); writes RUN/eval/."""
    from dlkit.errors import UsageError
    from dlkit.evaluation import evaluate_run
    from dlkit.runs import resolve_run

    if split not in ("train", "val", "test"):
        raise UsageError(f"--split: expected train, val or test. Received: {split!r}")
    run_dir = resolve_run(run)
    report = evaluate_run(run_dir, split, set_ or [], classifier=classifier, samples=samples, seed=seed)
    for table in report.tables:
        out.print(_table(table))
    for warning in report.warnings:
        err.print(f"dlkit: warning: {warning}", markup=False, highlight=False)
    typer.echo(str(run_dir / "eval"))


@app.command()
@_user_errors
def generate(
    run: Path = typer.Argument(..., help="A GAN run folder (or runs/latest)."),
    n: int = typer.Option(64, "-n", min=1, help="How many samples."),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="The grid PNG; default RUN/samples/generated.png."),
    seed: int = typer.Option(0, "--seed", help="Seed of the latent vectors: the same seed draws the same samples."),
    npz: Path | None = typer.Option(
        None, "--npz", help="Also write the arrays: samples (raw generator output), images (uint8), latent."
    ),
    plugin: list[Path] | None = PluginOption,
):
    """Draw samples from a GAN run's generator into a PNG grid (and an .npz); prints the PNG's path."""
    from dlkit.generate import generate as run_generate
    from dlkit.runs import resolve_run

    run_dir = resolve_run(run)
    target = out_file if out_file is not None else run_dir / "samples" / "generated.png"
    written = run_generate(run_dir, n, seed, target, npz)
    err.print(f"{n} samples (seed {seed}) of shape {tuple(written['shape'])}", highlight=False)
    if npz is not None:
        err.print(f"arrays: {npz}", highlight=False)
    typer.echo(str(target))


@app.command()
@_user_errors
def predict(
    inputs: list[Path] | None = typer.Argument(None, help="Image files, CSV files, .txt files, or folders of them."),
    text: list[str] | None = typer.Option(None, "--text", help="A text to classify (repeatable; text runs)."),
    run: Path | None = typer.Option(None, "--run", help="Run folder; default: the newest finished run."),
    top_k: int = typer.Option(3, "--top-k", min=1, help="How many classes to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Also write the predictions to a CSV file."),
    set_: list[str] | None = SetOption,
    runs_dir: Path = RunsDirOption,
    plugin: list[Path] | None = PluginOption,
):
    """Predict with a run's model; one row per example. Exit 1 if any input could not be read."""
    from dlkit.errors import UsageError
    from dlkit.runs import resolve_run

    if not inputs and not text:
        raise UsageError("nothing to predict: give files or folders, or --text")
    run_dir = resolve_run(run, runs_dir)
    from dlkit.predict import predict as run_predict

    result = run_predict(run_dir, inputs or [], text or [], top_k, set_ or [])
    rows, shown = result.rows, result.shown
    if output is not None:
        _write_predictions(rows, shown, output)
    if as_json:
        typer.echo(json.dumps({"run": str(run_dir), "predictions": rows}, indent=2))
    else:
        table = Table("input", "prediction", "probability", f"top {top_k}", title=str(run_dir))
        for row, cells in zip(rows, shown, strict=True):
            if "error" in row:
                table.add_row(row["input"], f"[red]{escape(row['error'])}[/red]", "", "")
            else:
                table.add_row(row["input"], *map(escape, cells))
        out.print(table)
    for unseen in result.unseen:
        err.print(f"dlkit: warning: {unseen}", markup=False, highlight=False)
    if result.score is not None:
        err.print(str(result.score), markup=False, highlight=False)
    failed = [row for row in rows if "error" in row]
    for row in failed:
        err.print(f"dlkit: error: {row['input']}: {row['error']}", markup=False, highlight=False)
    if failed and run is None:  # the user did not name the run: say which one could not take these inputs
        summary = f"{result.run}: {len(failed)} of {len(rows)} inputs could not be predicted"
        err.print(f"dlkit: error: {summary}", markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


def _write_predictions(rows: list[dict], shown: list[tuple[str, str, str]], path: Path) -> None:
    import csv
    import io

    from dlkit.runs import atomic_write

    buffer = io.StringIO()
    fields = ["input", "prediction", "probability", "unseen", "error"]
    writer = csv.DictWriter(buffer, fields, lineterminator="\n")
    writer.writeheader()
    for row, (prediction, probability, _) in zip(rows, shown, strict=True):
        unseen = "; ".join(f"{name}={value}" for name, value in row.get("unseen", {}).items())
        writer.writerow({"input": row["input"], "prediction": prediction if "error" not in row else "",
                         "probability": row.get("probability", probability), "unseen": unseen,
                         "error": row.get("error")})  # fmt: skip
    atomic_write(path, buffer.getvalue())


@app.command()
@_user_errors
def validate(
    config: Path = typer.Argument(..., help="The experiment YAML file."),
    set_: list[str] | None = SetOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Also build the model and report its shapes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    plugin: list[Path] | None = PluginOption,
):
    """Check a config without training: its keys, its data's files and columns (read from the header,
    not loaded), and the last layer against the classes. Prints the resolved config (or, with
    --dry-run, the model built)."""
    from dlkit.config import dump_config, load_config
    from dlkit.config.data_check import check_data

    cfg = load_config(config, set_ or [], plugin or [])
    check_data(cfg, config, set_ or [], dry_run=dry_run)
    if not dry_run:
        if as_json:
            typer.echo(json.dumps(cfg.model_dump(mode="json"), indent=2))
        else:
            typer.echo(dump_config(cfg), nl=False)
            err.print(f"{config}: valid", style="green")
        return
    from dlkit.inspect_model import describe_model

    summary = describe_model(cfg)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table(
        "layer", "class", "output shape", "params", title=f"{cfg.name}: input {tuple(summary['input_shape'])}"
    )
    for layer in summary["layers"]:
        table.add_row(layer["name"], layer["class"], str(tuple(layer["output_shape"])), f"{layer['params']:,}")
    out.print(table)
    out.print(f"params: {summary['params']:,} (trainable {summary['trainable_params']:,})")


@app.command("list")
@_user_errors
def list_(
    what: str = typer.Argument(
        "layers",
        help="tasks, layers, datasets, preprocess, callbacks, optimizers, schedules, losses, metrics, "
        "distributions, samplers or pruners",
    ),
    plugin: list[Path] | None = PluginOption,
):
    """Show what a registry holds."""
    from dlkit.errors import UsageError
    from dlkit.registries import REGISTRIES
    from dlkit.strict import did_you_mean

    if what not in REGISTRIES:
        raise UsageError(f"dlkit list {what}: no such registry; {did_you_mean(what, REGISTRIES)}")
    registry = REGISTRIES[what]
    table = Table("name", "aliases", "what it is", title=f"{what} ({len(registry.names())})")
    for name, summary, aliases in registry.describe():
        table.add_row(name, ", ".join(aliases), escape(summary))
    out.print(table)


@app.command("to-csv")
@_user_errors
def to_csv(
    dataset: str = typer.Argument(..., help="A table dataset: iris, wine, breast_cancer, diabetes, boston_housing."),
    path: Path = typer.Argument(..., help="The CSV file to write."),
    plugin: list[Path] | None = PluginOption,
):
    """Write a table dataset to a CSV file (features as columns, the label in `target`), e.g. for the csv dataset."""
    from dlkit.data.dataset import DATASETS
    from dlkit.data.table import write_table
    from dlkit.errors import UsageError
    from dlkit.registry import UnknownNameError

    try:
        name = DATASETS.canonical(dataset)
    except UnknownNameError as e:
        raise UsageError(f"dlkit to-csv: {e}") from None
    rows = write_table(name, path)
    err.print(f"{name}: {rows} rows written", highlight=False)
    typer.echo(str(path))


@app.command()
@_user_errors
def runs(
    root: Path = typer.Argument(Path("runs"), help="The folder holding run folders."),
    plugin: list[Path] | None = PluginOption,
):
    """A table of the runs under ROOT."""
    from dlkit.runs import list_runs, read_run, run_status

    table = Table("run", "status", "dataset", "epochs", "best", "test", "started", title=str(root))
    for path in list_runs(root):
        info = read_run(path)
        best = ", ".join(f"{k} {v:.4f}" for k, v in (info.get("best") or {}).items())
        test = info.get("test") or {}
        headline = info.get("headline")
        if headline is None:  # runs of earlier versions
            name = next((k for k in ("accuracy", "auc", "mae", "loss") if k in test), None)
            headline = {name: test[name]} if name else {}
        table.add_row(
            path.name,
            run_status(info),
            info.get("dataset", ""),
            str(info.get("epochs", "")),
            best,
            ", ".join(f"{k} {v:.4f}" for k, v in headline.items()),
            (info.get("started") or "")[:16].replace("T", " "),
        )
    out.print(table)


def _table(table) -> Table:
    """A task's table (`dlkit.tasks.Table`) as a rich one."""
    shown = Table(*table.columns, title=table.title)
    for row in table.rows:
        shown.add_row(*row)
    return shown


def main() -> None:
    app()
