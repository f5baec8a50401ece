"""Temperature scaling (`eval.calibrate: temperature`): expected calibration error before and after.

What it measures
  configs/quickstart.yaml (CNN on the digits, 10 classes, a softmax) and configs/tabular_csv.yaml
  (MLP on the breast-cancer table written by `dlkit to-csv`, binary, a sigmoid), each trained as
  written (their epochs and early stopping) with `--set eval.calibrate=temperature`, once per seed,
  with `dlkit.training.trainer.train` (what `dlkit train` runs). The temperature is fitted on the
  validation split (quickstart 10% = 144 images, tabular 15% = 68 rows); test is never seen by it.
  Reported per run from calibration.json: the temperature, ECE (15 equal-width bins of the
  predicted class's probability) and NLL on validation and test, before and after; the test
  accuracy of the model as trained (checkpoints/best.keras) and calibrated (metrics.json), which
  must be equal.

Run (about 8 minutes on 2 CPU cores shared with other jobs; 2 minutes with --epochs 2):
    .venv/bin/python benchmarks/calibrate.py
    .venv/bin/python benchmarks/calibrate.py --seeds 42 --epochs 3     # smoke check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(REPO))


def _accuracy_as_trained(run_dir: Path, config) -> float:
    """Test accuracy of the checkpoint before the temperature was added."""
    import keras

    import dlkit.layers.custom  # noqa: F401  (dlkit's layers, for loading in safe mode)
    from dlkit.engine.prepare import prepare_data
    from dlkit.engine.score import predict, score
    from dlkit.training.checkpoint import BEST

    data = prepare_data(config)
    model = keras.saving.load_model(run_dir / "checkpoints" / BEST, safe_mode=True, compile=False)
    test = data.split("test")
    return score(config, test, predict(model, test, config, data))["accuracy"]


def _run(config_path: Path, sets: list[str], runs: Path) -> dict:
    from dlkit.config import load_config
    from dlkit.training.trainer import train

    config = load_config(config_path, [*sets, "eval.calibrate=temperature"])
    run_dir = train(config, runs_dir=runs)
    report = json.loads((run_dir / "calibration.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    epochs = json.loads((run_dir / "run.json").read_text())["epochs"]
    return {
        **report,
        "epochs": epochs,
        "accuracy": metrics["test"]["accuracy"],
        "accuracy_as_trained": _accuracy_as_trained(run_dir, config),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,1,7", help="Comma-separated seeds (default 42,1,7).")
    parser.add_argument("--epochs", type=int, default=None, help="Override train.epochs (default: as written).")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    from dlkit.data.to_csv import write_table

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_table("breast_cancer", tmp / "breast_cancer.csv")
        configs = {
            "quickstart": (REPO / "configs" / "quickstart.yaml", []),
            "tabular_csv": (REPO / "configs" / "tabular_csv.yaml", [f"data.options.path={tmp / 'breast_cancer.csv'}"]),
        }
        rows = []
        for name, (path, sets) in configs.items():
            for seed in seeds:
                extra = [f"seed={seed}", *([f"train.epochs={args.epochs}"] if args.epochs else [])]
                result = _run(path, [*sets, *extra], tmp / "runs")
                rows.append({"config": name, "seed": seed, **result})
                print(f"{name} seed {seed}: T={result['temperature']:.3f}", file=sys.stderr, flush=True)

    header = (
        f"{'config':<12} {'seed':>4} {'epochs':>6} {'T':>6} | {'val ECE':>15} {'test ECE':>15} | "
        f"{'val NLL':>15} {'test NLL':>15} | {'test acc (trained = calibrated)':>31}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        val, test = r["val"], r["test"]

        def pair(figures, name):
            return f"{figures[name + '_before']:.4f} -> {figures[name + '_after']:.4f}"

        same = "=" if r["accuracy"] == r["accuracy_as_trained"] else "!="
        print(
            f"{r['config']:<12} {r['seed']:>4} {r['epochs']:>6} {r['temperature']:>6.3f} | {pair(val, 'ece'):>15} "
            f"{pair(test, 'ece'):>15} | {pair(val, 'nll'):>15} {pair(test, 'nll'):>15} | "
            f"{r['accuracy_as_trained']:.4f} {same} {r['accuracy']:.4f}"
        )
    print()
    for name in configs:
        mine = [r for r in rows if r["config"] == name]
        for split in ("val", "test"):
            before = [r[split]["ece_before"] for r in mine]
            after = [r[split]["ece_after"] for r in mine]
            spread = (lambda v: f" +- {statistics.stdev(v):.4f}") if len(mine) > 1 else (lambda v: "")
            print(
                f"{name} {split} ECE, mean over {len(mine)} seeds: {statistics.mean(before):.4f}{spread(before)} "
                f"-> {statistics.mean(after):.4f}{spread(after)}"
            )


if __name__ == "__main__":
    main()
