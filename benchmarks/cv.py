"""Cross-validation (`dlkit cv`): how much the quickstart and tabular figures move with the split.

What it measures
  `dlkit cv CONFIG --folds 5` on configs/quickstart.yaml (digits CNN) and configs/tabular_csv.yaml
  (breast_cancer as a CSV, written by `dlkit to-csv` into a temporary folder), each run as the
  command a user types, in a temporary runs folder. The test split is the configs' own held-out 20%
  (the same for every fold); the other 80% is cut into 5 stratified folds, each validating on one
  and training on four (so a fold trains on 64% of the data, a little less than `dlkit train`'s
  72%). Early stopping and the best checkpoint follow each fold's own validation part.
  Reported from cv.json: for the validation and test figures, the mean over the 5 folds, the
  sample standard deviation and the 95% interval of the mean (Student t, 4 degrees of freedom).

Run (about 5 minutes on 2 busy CPU cores; --epochs N caps each fold's epochs):
    .venv/bin/python benchmarks/cv.py
    .venv/bin/python benchmarks/cv.py --folds 3 --epochs 3      # smoke check
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
SHOWN = {"quickstart": ["accuracy", "f1", "loss"], "tabular_csv": ["accuracy", "auc", "loss"]}


def dlkit(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "dlkit", *args], capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        sys.exit(f"dlkit {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="Cap each fold's epochs (default: the config's).")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "breast_cancer.csv"
        dlkit("to-csv", "breast_cancer", str(table))
        for name, extra in (("quickstart", []), ("tabular_csv", ["--set", f"data.options.path={table}"])):
            sets = extra + (["--set", f"train.epochs={args.epochs}"] if args.epochs else [])
            start = time.perf_counter()
            cv_dir = dlkit("cv", f"configs/{name}.yaml", *sets, "--folds", str(args.folds), "--runs-dir", tmp, "-q")
            seconds = time.perf_counter() - start
            record = json.loads((Path(cv_dir) / "cv.json").read_text())
            epochs = [json.loads((Path(cv_dir) / f / "run.json").read_text())["epochs"] for f in record["runs"]]
            for split in ("val", "test"):
                for metric in SHOWN[name]:
                    s = record["summary"][split][metric]
                    low, high = s["interval"]
                    rows.append((name, split, metric, s["mean"], s["std"], low, high))
            print(f"{name}: {args.folds} folds in {seconds:.0f} s, epochs per fold {epochs}", flush=True)
    print()
    print(f"| config | split | metric | mean | std | 95% interval ({args.folds} folds) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, split, metric, mean, std, low, high in rows:
        print(f"| {name} | {split} | {metric} | {mean:.4f} | {std:.4f} | {low:.4f} - {high:.4f} |")


if __name__ == "__main__":
    main()
