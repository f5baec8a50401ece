"""Transfer learning against training from scratch when the target task has few examples (issue 15).

What it measures
  Source: half of scikit-learn's digits (899 images, stratified, seed 0), upright; the quickstart CNN
  (configs/quickstart.yaml: conv 32, conv 32, pool, dropout, dense 128, dropout, dense 10) trained on
  it once, as `dlkit train` does.
  Target: the other half, changed (`--target rotated`: turned 90 degrees; `inverted`: 255 - pixels;
  `upright`: unchanged, the source's own task on new images, a reference);
  10 examples per class are set aside as the pool training examples are drawn from, the rest (798)
  is the test split, the same for every run. The backbone never sees a target image.
  For k examples per class (`--shots`, default 2 5 10) and 3 seeds (the examples drawn, the
  initialisation and the shuffling), three models, all with the quickstart's layers:
    frozen     configs/transfer_digits.yaml with one phase: the source run's convolutional part (up
               to `flatten`, 9,568 weights), frozen, under a new dense(10) head, 80 epochs at 1e-3
    two-phase  configs/transfer_digits.yaml as shipped: 40 epochs frozen at 1e-3, then 40 with
               everything unfrozen at 1e-4
    scratch    configs/quickstart.yaml on the same examples from random weights, 80 epochs at 1e-3
  No validation split (too few examples): each model is its last epoch's. Figures: test accuracy,
  mean and spread (min-max) over the seeds.

Run (about 10 minutes on 2 CPU cores for the defaults):
    .venv/bin/python benchmarks/transfer.py
    .venv/bin/python benchmarks/transfer.py --target inverted --shots 5 --seeds 1
    .venv/bin/python benchmarks/transfer.py --write-data data/transfer   # the files the config reads
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

CONFIGS = REPO / "configs"
POOL = 10  # target examples per class set aside for training


def digits_halves():
    """(source x, y), (target x, y): digits as dlkit loads it (uint8 0-255, 8x8x1), split in two
    stratified halves."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = np.round(bunch.images * (255.0 / 16.0)).astype("uint8")[..., None]
    xs, xt, ys, yt = train_test_split(x, bunch.target, test_size=0.5, stratify=bunch.target, random_state=0)
    return (xs, ys), (xt, yt)


def changed(x, target: str):
    if target == "upright":  # the source's own task on images it never saw: the case reuse is made for
        return x
    return np.rot90(x, 1, axes=(1, 2)).copy() if target == "rotated" else (255 - x).astype("uint8")


def write_source(folder: Path) -> Path:
    (xs, ys), _ = digits_halves()
    path = folder / "source.npz"
    np.savez(path, x_train=xs, y_train=ys)
    return path


def write_target(folder: Path, target: str, shots: int, seed: int, name: str = "target.npz") -> Path:
    """`shots` examples per class drawn (by `seed`) from the pool to train on; the rest to test."""
    _, (xt, yt) = digits_halves()
    xt = changed(xt, target)
    pool = np.concatenate([np.flatnonzero(yt == c)[:POOL] for c in range(10)])
    test = np.setdiff1d(np.arange(len(yt)), pool)
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(pool[yt[pool] == c], shots, replace=False) for c in range(10)])
    path = folder / name
    np.savez(path, x_train=xt[chosen], y_train=yt[chosen], x_test=xt[test], y_test=yt[test])
    return path


def train(config: Path, sets: list[str], runs: Path) -> dict:
    from dlkit.config import load_config
    from dlkit.training.trainer import train as dlkit_train

    run_dir = dlkit_train(load_config(config, sets), runs_dir=runs)
    return json.loads((run_dir / "metrics.json").read_text())["test"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=["rotated", "inverted", "upright"], default="rotated")
    parser.add_argument("--shots", type=int, nargs="+", default=[2, 5, 10])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--head-lr", type=float, help="the head's learning rate (default: the config's, 1e-3)")
    parser.add_argument(
        "--until", help="the backbone's last layer (default: the config's, flatten; dense: 128 features)"
    )
    parser.add_argument(
        "--source-rotation", type=float, help="train the source with random_rotation of this factor (0.5: any angle)"
    )
    parser.add_argument("--write-data", type=Path, help="only write source.npz and target.npz (10 per class) here")
    args = parser.parse_args()
    if args.write_data:
        args.write_data.mkdir(parents=True, exist_ok=True)
        print(write_source(args.write_data), write_target(args.write_data, args.target, POOL, 0))
        return
    logging.disable(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="dlkit-transfer-"))
    started = time.monotonic()
    rotation = f"data.augment=[{{type: random_rotation, factor: {args.source_rotation}}}]"
    augment = [rotation] if args.source_rotation else []
    source = train(
        CONFIGS / "quickstart.yaml",
        ["data.dataset=npz", f"data.options.path={write_source(work)}", *augment],
        work / "source-runs",
    )
    source_run = next((work / "source-runs").glob("quickstart-*"))
    print(f"source: quickstart CNN on 899 upright digits, test accuracy {source['accuracy']:.3f} ({source_run.name})")
    common = ["data.split.validation=0", "data.batch_size=16", "train.checkpoint.monitor=null"]
    cut = [f"model.backbone.until={args.until}"] if args.until else []  # `null`: up to its 128 features
    cut += [f"train.optimizer.learning_rate={args.head_lr}"] if args.head_lr else []
    variants = {
        "frozen": (
            CONFIGS / "transfer_digits.yaml",
            [f"model.backbone.run={source_run}", "train.phases=[{epochs: 80}]", *cut],
        ),
        "two-phase": (CONFIGS / "transfer_digits.yaml", [f"model.backbone.run={source_run}", *cut]),
        "scratch": (CONFIGS / "quickstart.yaml", ["data.dataset=npz", "train.epochs=80", "train.callbacks=[]"]),
    }
    results: dict[tuple[str, int], list[float]] = {}
    for shots in args.shots:
        for seed in range(args.seeds):
            data = write_target(work, args.target, shots, seed, f"target-{shots}-{seed}.npz")
            for name, (config, sets) in variants.items():
                sets = [*common, *sets, f"data.options.path={data}", f"seed={seed}"]
                accuracy = train(config, sets, work / "runs")["accuracy"]
                results.setdefault((name, shots), []).append(accuracy)
                print(f"  {args.target} k={shots} seed={seed} {name}: {accuracy:.3f}", flush=True)
    print(f"\ntarget: {args.target} digits, test accuracy on 798 images, mean (min-max) over {args.seeds} seeds")
    print("| examples per class | " + " | ".join(variants) + " |")
    print("| --- |" + " --- |" * len(variants))
    for shots in args.shots:
        cells = []
        for name in variants:
            values = results[(name, shots)]
            cells.append(f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})")
        print(f"| {shots} | " + " | ".join(cells) + " |")
    print(f"\n{time.monotonic() - started:.0f} s; runs in {work}")


if __name__ == "__main__":
    main()
