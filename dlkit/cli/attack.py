"""`dlkit attack`: a run's accuracy under adversarial attack, eps by eps."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, SetOption, TrustOption, app, out, rich_table, user_errors


@app.command()
@user_errors
def attack(
    run: Path = typer.Argument(..., help="A classification or binary run folder (or runs/latest)."),
    method: str = typer.Option("pgd", "--method", "-m", help="fgsm or pgd (`dlkit list attacks`)."),
    eps: str = typer.Option(
        "0.01,0.05,0.1",
        "--eps",
        help="Comma-separated, each in (0, 1]: a fraction of 255 for images, of each "
        "feature's training standard deviation for tables and arrays.",
    ),  # fmt: skip
    steps: int | None = typer.Option(
        None, "--steps", help="PGD: gradient steps, each 2.5 x eps / steps (default 20)."
    ),  # fmt: skip
    n: int = typer.Option(1000, "-n", help="How many examples of the split (a seeded sample; all if fewer)."),
    split: str = typer.Option("test", "--split", help="train, val or test."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample of examples and of PGD's random start."),
    set_: list[str] | None = SetOption,
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Attack a run's model.keras through its preprocessing (FGSM, or PGD with a random start) and
    report accuracy at each eps; writes RUN/eval/attack.json, attack.png (and for images
    attack_examples.png). Prints the eval folder last."""
    from dlkit.attack.check import check_arguments, check_run
    from dlkit.core.runs import resolve_run

    spec, eps_values = check_arguments(method, eps, steps, n, split)
    run_dir = resolve_run(run)
    check_run(run_dir)  # before TensorFlow loads
    from dlkit.attack.run import attack_run
    from dlkit.engine.task import Table

    report = attack_run(run_dir, spec, eps_values, n=n, split=split, seed=seed, overrides=set_ or []).report
    rows = [
        [eps, f"{row['accuracy']:.4f}", f"{row['correct']}/{report['n']}"]
        for eps, row in [("0 (clean)", report["clean"]), *((f"{row['eps']:g}", row) for row in report["attacks"])]
    ]
    arguments = spec.header()
    title = f"{run_dir.name}: {report['method']}{f' ({arguments})' if arguments else ''}, {split} split"
    out.print(rich_table(Table(title, ["eps", "accuracy", "correct"], rows)))
    typer.echo(str(run_dir / "eval"))
