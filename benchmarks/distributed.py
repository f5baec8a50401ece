"""Training throughput on one device against `train.distribute: {strategy: mirrored, devices: 2}`
on 2 logical CPU devices and `{strategy: multi_worker}` with 2 local workers (each a process of its
own, as `dlkit train --local-workers 2` starts them), on the MNIST CNN (configs/mnist_cnn.yaml,
693,962 parameters).

What it measures
  configs/mnist_cnn.yaml as it is (Adam, global batch 128), on `--samples` generated 28x28 uint8
  images written as an MNIST-format `.npz` (`data.options.path`; the images of
  benchmarks/throughput.py), trained for `--epochs` epochs in a fresh subprocess per run through
  `dlkit.training.trainer.train` (what `dlkit train` runs). Runs alternate one device, mirrored,
  workers, ... (`--pairs` rounds), so a slower spell of the machine hits all alike.
  Throughput = training samples / wall time between `on_train_begin` and `on_train_end` (TF start,
  data loading, model building and the after-training evaluation excluded; per-epoch validation
  and checkpoint saves included, as in `dlkit train`).
  Note that one device runs 8 batches per call into TensorFlow (`train.steps_per_execution`) and
  mirrored 1 (Keras 3.15's multi-batch loop fails under MirroredStrategy); `--same-steps` runs the
  one-device side with 1 too, to separate that cost from the strategy's.

What to expect here: no speed-up. Two logical CPU devices share the same 2 cores (TensorFlow's
one-device kernels already use both), and every step adds the all-reduce of the gradients (here
693,962 float32 = 2.8 MB, copied between host buffers) and per-replica dispatch. The figure is the
price of the mechanism, not a forecast for GPUs (docs/distributed.md says what to expect there).

Run (about 4 minutes on 2 CPU cores; nothing else heavy meanwhile):
    .venv/bin/python benchmarks/distributed.py                 # 12,000 samples, 2 epochs, 3 pairs
    .venv/bin/python benchmarks/distributed.py --samples 3000 --pairs 1   # smoke check
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import busy_cpu_seconds, make_data, timer  # noqa: E402  (the same images and timer)

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "mnist_cnn.yaml"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(REPO)}


def overrides(npz: Path, epochs: int, kind: str, same_steps: bool) -> list[str]:
    sets = [f"data.options.path={npz}", f"train.epochs={epochs}"]
    if kind == "mirrored":
        sets.append("train.distribute={strategy: mirrored, devices: 2}")
    elif kind == "workers":
        sets.append("train.distribute={strategy: multi_worker}")
    elif same_steps:
        sets.append("train.steps_per_execution=1")
    return sets


def worker(kind: str, npz: Path, epochs: int, same_steps: bool) -> None:
    from dlkit.config import load_config
    from dlkit.core.backend import keras
    from dlkit.training.trainer import train

    config = load_config(CONFIG, overrides(npz, epochs, kind, same_steps))
    t = timer(keras())
    with tempfile.TemporaryDirectory() as runs:
        train(config, runs_dir=Path(runs), callbacks=[t])
        model = keras().saving.load_model(next(Path(runs).glob("*/model.keras")))
    import numpy as np

    with np.load(npz) as f:
        n = len(f["y_train"])
    per_epoch = n - math.ceil(n * config.data.split.validation)
    print("RESULT " + json.dumps({"seconds": t.seconds, "samples": per_epoch * epochs, "logs": t.logs,
                                  "params": model.count_params()}))  # fmt: skip


def run_worker(kind: str, npz: Path, epochs: int, same_steps: bool) -> dict:
    argv = [sys.executable, __file__, "--worker", kind, str(npz), "--epochs", str(epochs)]
    argv += ["--same-steps"] if same_steps else []
    busy = busy_cpu_seconds()
    if kind == "workers":
        proc = two_local_workers(argv)
    else:
        proc = subprocess.run(argv, capture_output=True, text=True, env=ENV, cwd=REPO)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"{kind} worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][7:])
    result["machine_busy_s"] = busy_cpu_seconds() - busy
    result["rate"] = result["samples"] / result["seconds"]
    return result


def two_local_workers(argv: list[str]) -> subprocess.CompletedProcess:
    """The worker twice, as `dlkit train --local-workers 2` starts them (TF_CONFIG on 127.0.0.1);
    the chief's (worker 0's) output."""
    from dlkit.training.distributed.launch import free_ports

    cluster = [f"127.0.0.1:{port}" for port in free_ports(2)]
    procs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env={
            **ENV, "TF_CONFIG": json.dumps({"cluster": {"worker": cluster}, "task": {"type": "worker", "index": i}})})
        for i in range(2)
    ]  # fmt: skip
    (out, err), _ = (p.communicate() for p in procs)
    return subprocess.CompletedProcess(argv, procs[0].returncode or procs[1].returncode, out, err)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=12_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--same-steps", action="store_true", help="one device at steps_per_execution 1 too")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "NPZ"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.epochs, args.same_steps)
        return
    with tempfile.TemporaryDirectory() as folder:
        npz = Path(folder) / "mnist.npz"
        make_data(npz, args.samples)
        rates: dict[str, list[float]] = {"one": [], "mirrored": [], "workers": []}
        for pair in range(args.pairs):
            for kind in rates:
                result = run_worker(kind, npz, args.epochs, args.same_steps)
                rates[kind].append(result["rate"])
                print(f"pair {pair + 1} {kind:8s} {result['rate']:8.0f} samples/s  ({result['seconds']:.1f} s, "
                      f"val_loss {result['logs'].get('val_loss', math.nan):.4f}, "
                      f"machine CPU {result['machine_busy_s']:.0f} s)")  # fmt: skip
    params = result["params"]
    one, mirrored, workers = (statistics.median(rates[kind]) for kind in ("one", "mirrored", "workers"))
    print(f"\nMNIST CNN, {params:,} parameters: all-reduce of {params * 4 / 1e6:.1f} MB of float32 gradients per step")
    steps = "1 batch per call on both sides" if args.same_steps else "one device 8 batches per call, mirrored 1"
    print(f"median samples/s over {args.pairs} pair(s) ({steps}):")
    print(f"  one device            {one:8.0f}")
    print(f"  mirrored, 2 CPU devs  {mirrored:8.0f}  ({mirrored / one:.2f}x, overhead {(1 - mirrored / one):+.0%})")
    print(f"  2 local workers       {workers:8.0f}  ({workers / one:.2f}x, overhead {(1 - workers / one):+.0%})")


if __name__ == "__main__":
    main()
