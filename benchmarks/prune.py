"""Accuracy and compressed size of the MNIST CNN pruned to 0, 50, 80 and 90% sparsity.

What it measures
  `configs/prune_mnist.yaml` as written (configs/mnist_cnn.yaml's model, 693,962 parameters; 10
  epochs, dense for 2, pruned on Zhu & Gupta's schedule until epoch 7, fine-tuned after; model.keras
  the best of epochs 7-10 by val_loss), once per target sparsity and seed, each `dlkit train` in a
  fresh process, with `--set train.prune.target_sparsity=S`. Sparsity 0 is the dense baseline
  trained the same way (the same epochs and the same choice of model.keras).
  Reported from each run's metrics.json: test accuracy, achieved sparsity (over the pruned
  kernels), and the gzip size of the weights (every weight as float32, concatenated, gzip level 9)
  against the dense baseline's.

Data (no network): an MNIST-format mnist.npz generated from scikit-learn's 8x8 digits. Each digit
is scaled 3x to 24x24 (0-255), placed at a random offset in a 28x28 image, with Gaussian noise
(sd 8). Training images come from 80% of the 1,797 digits (`--copies` placements each: 8 gives
11,496), test images from the other 20% (5 placements each: 1,800), so no digit is in both.
Easier than MNIST (fewer writers, the same digit in several placements): read the accuracy drop
between sparsities, not the level.

Run (about 10 minutes per seed on 2 CPU cores):
    .venv/bin/python benchmarks/prune.py
    .venv/bin/python benchmarks/prune.py --seeds 42 1 7
    .venv/bin/python benchmarks/prune.py --copies 2 --sparsities 0 0.8   # smoke check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}


def mnist_from_digits(path: Path, copies: int, seed: int = 0) -> tuple[int, int]:
    """Write an MNIST-format .npz made from scikit-learn's digits; return (train, test) sizes."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(digits.target))
    cut = int(0.8 * len(order))

    def images(indices, n):
        big = np.kron(digits.images[indices] * (255 / 16), np.ones((3, 3)))  # (k, 24, 24)
        x = np.zeros((len(indices) * n, 28, 28))
        for c in range(n):
            for j, (dy, dx) in enumerate(rng.integers(0, 5, (len(indices), 2))):
                x[c * len(indices) + j, dy : dy + 24, dx : dx + 24] = big[j]
        x = np.clip(x + rng.normal(0, 8, x.shape), 0, 255).astype("uint8")
        return x, np.tile(digits.target[indices], n).astype("uint8")

    x_train, y_train = images(order[:cut], copies)
    x_test, y_test = images(order[cut:], 5)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return len(y_train), len(y_test)


def train(data: Path, sparsity: float, seed: int, runs: Path) -> dict:
    sets = [f"data.options.path={data}", f"train.prune.target_sparsity={sparsity}", f"seed={seed}"]
    argv = [sys.executable, "-m", "dlkit", "train", str(REPO / "configs" / "prune_mnist.yaml"), "-q"]
    argv += [a for s in sets for a in ("--set", s)] + ["--runs-dir", str(runs)]
    start = time.monotonic()
    done = subprocess.run(argv, env=ENV, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"dlkit train failed ({sparsity=}, {seed=}):\n{done.stderr[-2000:]}")
    run_dir = Path(done.stdout.strip().splitlines()[-1])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {
        "accuracy": metrics["test"]["accuracy"],
        "sparsity": metrics["sparsity"]["overall"],
        "gzip": metrics["size"]["gzip_bytes"],
        "float32": metrics["size"]["float32_bytes"],
        "seconds": time.monotonic() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsities", type=float, nargs="+", default=[0.0, 0.5, 0.8, 0.9])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--copies", type=int, default=8, help="placements of each training digit")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "mnist.npz"
        n_train, n_test = mnist_from_digits(data, args.copies)
        print(f"data: {n_train:,} training images (10% of them validation), {n_test:,} test images", flush=True)
        results = {}
        for sparsity in args.sparsities:
            for seed in args.seeds:
                results[sparsity, seed] = r = train(data, sparsity, seed, Path(tmp) / "runs")
                print(f"  sparsity {sparsity} seed {seed}: accuracy {r['accuracy']:.4f}, achieved "
                      f"{r['sparsity']:.4f}, gzip {r['gzip']:,} B, {r['seconds']:.0f} s", flush=True)  # fmt: skip

    dense = statistics.mean(results[min(args.sparsities), s]["gzip"] for s in args.seeds)
    print(f"\nseeds {', '.join(map(str, args.seeds))}; float32 weights: {results[next(iter(results))]['float32']:,} B")
    print("| target sparsity | achieved | test accuracy | gzip of the weights | vs sparsity 0 |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for sparsity in args.sparsities:
        rows = [results[sparsity, s] for s in args.seeds]
        accuracy = [r["accuracy"] for r in rows]
        spread = f" ({min(accuracy):.4f}-{max(accuracy):.4f})" if len(rows) > 1 else ""
        gzip = statistics.mean(r["gzip"] for r in rows)
        achieved = statistics.mean(r["sparsity"] for r in rows)
        print(f"| {sparsity} | {achieved:.4f} | {statistics.mean(accuracy):.4f}{spread} | {gzip / 1e6:.3f} MB | "
              f"{dense / gzip:.2f}x smaller |")  # fmt: skip


if __name__ == "__main__":
    main()
