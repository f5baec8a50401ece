"""TabM's ensemble head against `dlkit init`'s MLP on R's diamonds (53,940 rows, price from carat,
cut, colour, clarity and dimensions), beside the run's own HistGradientBoosting baseline.

Each variant is `dlkit init diamonds.csv --target price`'s config with another model or training
(`extends:` it), trained by `dlkit train`; the table shows the test RMSE (dollars), its ratio to
HistGradientBoosting's, the epochs run and the fit's seconds:
    init        the config as init writes it (MLP 64-32, batch 32, Adam 1e-3, early stopping)
    mlp         the same MLP trained as TabM is (batch 256, AdamW 2e-3, weight decay 3e-4)
    mlp_wide    an MLP of TabM's width (128-128, dropout 0.1), trained so: one member alone
    deep        `train.ensemble: {seeds: 5}` of mlp_wide: a deep ensemble of 5 such MLPs
    tabm        tabm [128, 128], k 16, dropout 0.1 + ensemble_head: each member on its own loss
    tabm_mean   the same, trained on the loss of the members' mean (`member_loss: false`)

Run (on 2 shared CPU cores, at 30 epochs: tabm about 8 s an epoch, the MLPs 1-2 s, init under a minute):
    .venv/bin/python benchmarks/tabm.py --epochs 30             # all six
    .venv/bin/python benchmarks/tabm.py tabm tabm_mean --epochs 10
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from public_tables import diamonds, dlkit

TABM = [
    {"type": "tabm", "units": [128, 128], "k": 16, "dropout": 0.1},
    {"type": "ensemble_head", "units": 1},
]
WIDE = [
    {"type": "dense", "units": 128, "activation": "relu"},
    {"type": "dropout", "rate": 0.1},
    {"type": "dense", "units": 128, "activation": "relu"},
    {"type": "dropout", "rate": 0.1},
]
ADAMW = {"type": "adamw", "learning_rate": 0.002, "weight_decay": 0.0003}
AS_TABM = {"data": {"batch_size": 256}, "train": {"optimizer": ADAMW}}
VARIANTS = {
    "init": {},
    "mlp": AS_TABM,
    "mlp_wide": {**AS_TABM, "model": {"layers": [*WIDE, {"type": "dense", "units": 1}]}},
    "deep": {
        **AS_TABM,
        "model": {"layers": [*WIDE, {"type": "dense", "units": 1}]},
        "train": {**AS_TABM["train"], "ensemble": {"seeds": 5}},
    },
    "tabm": {**AS_TABM, "model": {"layers": TABM}},
    "tabm_mean": {**AS_TABM, "model": {"layers": [TABM[0], {**TABM[1], "member_loss": False}]}},
}


def run(name: str, folder: Path, base: Path, epochs: int | None) -> dict:
    config = {"extends": base.name, "name": f"diamonds_{name}", **VARIANTS[name]}
    if epochs and name != "init":
        config["train"] = {**config.get("train", {}), "epochs": epochs}
    path = folder / f"{name}.json"  # JSON is YAML
    path.write_text(json.dumps(config))
    trained = dlkit("train", str(path), "--runs-dir", str(folder / "runs"), "-q", cwd=folder)
    if trained.returncode != 0:
        raise SystemExit(f"{name}: {trained.stderr.strip().splitlines()[-1]}")
    run_dir = Path(trained.stdout.strip().splitlines()[-1])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    info = json.loads((run_dir / "run.json").read_text())
    return {
        "rmse": metrics["test"]["rmse"],
        "hgb": metrics["baselines"]["hist_gradient_boosting"]["test"]["rmse"],
        "epochs": info["epochs"],
        "fit_s": info["timings"]["fit"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", help=f"Some of {', '.join(VARIANTS)} (default: all).")
    parser.add_argument("--epochs", type=int, default=20, help="Epochs of every variant but init (default 20).")
    args = parser.parse_args()
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        data, target = diamonds(folder)
        base = folder / "diamonds.yaml"
        made = dlkit("init", str(data), "--target", target, "-o", str(base), cwd=folder)
        if made.returncode != 0:
            raise SystemExit(made.stderr)
        print(f"{'variant':12}{'test rmse':>12}{'/ hgb':>8}{'epochs':>8}{'fit s':>8}")
        for name in args.variants or VARIANTS:
            row = run(name, folder, base, args.epochs)
            ratio = row["rmse"] / row["hgb"]
            print(f"{name:12}{row['rmse']:>12.1f}{ratio:>8.3f}{row['epochs']:>8}{row['fit_s']:>8.0f}", flush=True)
        print(f"{'hgb':12}{row['hgb']:>12.1f}{1:>8.3f}")


if __name__ == "__main__":
    main()
