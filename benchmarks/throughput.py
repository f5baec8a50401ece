"""Training throughput of dlkit against the plain Keras script a user would write, plus CLI start-up.

What it measures
  The classic MNIST CNN (Conv2D 32 3x3 relu, MaxPool 2, Flatten, Dense 128 relu, Dense 10 softmax;
  Adam, batch 128, sparse categorical cross-entropy, accuracy) trained for `--epochs` epochs on
  `--samples` generated 28x28 uint8 images (10 learnable classes: a fixed blocky bright pattern per
  class at random brightness over a fainter other class's, shifted, plus noise; seed 42), twice,
  each in a fresh subprocess:
    plain  numpy arrays scaled by 1/255 in numpy, `model.fit(x, y, batch_size=128, epochs=E,
           shuffle=True, validation_split=0.1, verbose=0)`;
    dlkit  `dlkit.training.trainer.train(config, callbacks=[timer])` (what `dlkit train` runs) on the
           same file as an `npz` dataset, `rescale` preprocessing, the same layers.
  Throughput = samples trained / wall time between `on_train_begin` and `on_train_end`, so TF import,
  data generation and loading, model building and dlkit's after-training evaluation are excluded.
  Per-epoch validation (both sides) and dlkit's checkpoint saves are inside that window.
  Also timed: `dlkit train` end to end (once), `dlkit --help` and `dlkit validate` (median of 5).
  Each run also reports the CPU seconds other processes used meanwhile: on a shared 2-core machine,
  a run with more than a few is not comparable; repeat it.

Validation: 10% held out on both sides, so both train on 0.9 * samples examples per epoch and score
the same number of validation examples. That is dlkit's default (`data.split.validation: 0.1`,
checkpoint on `val_loss`) and what a Keras user typically writes (`validation_split=0.1`); the plain
side holds out the last 10%, dlkit a stratified random 10%; the data are i.i.d., so that is alike.
The generated test split (samples / 6 images, as MNIST's 10k per 60k) is only used by dlkit's
after-training evaluation and the end-to-end run.

Run (about 5 minutes at full size on 2 CPU cores; nothing else heavy meanwhile):
    .venv/bin/python benchmarks/throughput.py                  # 60,000 samples, 2 epochs
    .venv/bin/python benchmarks/throughput.py --repeats 3
    .venv/bin/python benchmarks/throughput.py --samples 6000   # smoke check
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED, BATCH, VALIDATION = 42, 128, 0.1
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}


def make_data(path: Path, samples: int) -> None:
    """Train and test uint8 images (N, 28, 28). Class k is a fixed pattern of bright 4x4 blocks at a
    random brightness, over a fainter random other class's pattern, shifted up to 2 pixels, plus
    noise: learnable but not trivially (the plain script ends 2 epochs at loss ~0.3, accuracy ~0.88)."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    templates = np.kron(rng.random((10, 7, 7)) < 0.35, np.ones((4, 4))).astype("float32")

    def images(n):
        y = rng.integers(0, 10, n)
        x = templates[y] * rng.uniform(60, 160, (n, 1, 1)).astype("float32")
        x += templates[rng.integers(0, 10, n)] * rng.uniform(0, 110, (n, 1, 1)).astype("float32")
        for axis in (1, 2):
            shifts = rng.integers(-2, 3, n)
            for s in range(-2, 3):
                x[shifts == s] = np.roll(x[shifts == s], s, axis=axis)
        x += rng.normal(40, 80, x.shape).astype("float32")
        return np.clip(x, 0, 255).astype("uint8"), y.astype("uint8")

    x_train, y_train = images(samples)
    x_test, y_test = images(samples // 6)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def write_config(path: Path, npz: Path, epochs: int) -> None:
    import yaml

    config = {
        "name": "throughput",
        "seed": SEED,
        "task": "classification",
        "data": {
            "dataset": "npz",
            "options": {"path": str(npz)},
            "split": {"validation": VALIDATION},
            "preprocess": [{"type": "rescale", "scale": 0.00392156862745098}],
            "batch_size": BATCH,
        },
        "model": {
            "layers": [
                {"type": "conv2d", "filters": 32, "kernel_size": 3, "activation": "relu"},
                {"type": "max_pooling2d", "pool_size": 2},
                "flatten",
                {"type": "dense", "units": 128, "activation": "relu"},
                {"type": "dense", "units": 10, "activation": "softmax"},
            ]
        },
        "train": {
            "epochs": epochs,
            "optimizer": "adam",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
            "checkpoint": {"monitor": "val_loss"},
        },
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))


# --- inside the worker subprocesses --------------------------------------------------------------


def timer(keras):
    """A callback recording fit's wall time and the last epoch's logs."""

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.begin = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.logs = dict(logs or {})

        def on_train_end(self, logs=None):
            self.seconds = time.perf_counter() - self.begin

    return Timer()


def worker_plain(npz: Path, epochs: int) -> tuple[object, int]:
    import keras
    import numpy as np

    with np.load(npz) as f:
        x, y = f["x_train"], f["y_train"]
    x = np.expand_dims(x.astype("float32") / 255, -1)  # as the Keras MNIST example does
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t = timer(keras)
    model.fit(
        x, y, batch_size=BATCH, epochs=epochs, shuffle=True, validation_split=VALIDATION, callbacks=[t], verbose=0
    )
    return t, len(x) - int(len(x) * VALIDATION)


def worker_dlkit(config_path: Path, epochs: int) -> tuple[object, int]:
    import numpy as np

    from dlkit.config import load_config
    from dlkit.core.backend import keras
    from dlkit.training.trainer import train

    config = load_config(config_path)
    t = timer(keras())
    with tempfile.TemporaryDirectory() as runs:
        train(config, runs_dir=Path(runs), callbacks=[t])
    with np.load(config.data.options["path"]) as f:
        n = len(f["y_train"])
    return t, n - math.ceil(n * VALIDATION)  # scikit-learn's train_test_split rounds the held-out part up


def worker(kind: str, path: Path, epochs: int) -> None:
    t, per_epoch = worker_plain(path, epochs) if kind == "plain" else worker_dlkit(path, epochs)
    result = {"seconds": t.seconds, "samples": per_epoch * epochs, "logs": t.logs}
    print("RESULT " + json.dumps(result))


# --- the driver ----------------------------------------------------------------------------------


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (Linux), to spot other work during a run."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return math.nan
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def run_worker(kind: str, path: Path, epochs: int) -> dict:
    argv = [sys.executable, __file__, "--worker", kind, str(path), "--epochs", str(epochs)]
    busy, before = busy_cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(argv, capture_output=True, text=True, env=ENV, cwd=REPO)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"{kind} worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][7:])
    own = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    result["other_cpu"] = busy_cpu_seconds() - busy - own
    return result


def wall(argv: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=ENV, cwd=REPO)
        times.append(time.perf_counter() - start)
        if proc.returncode:
            sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return times


def spread(values: list[float], fmt: str) -> str:
    text = format(statistics.median(values), fmt)
    return text if len(values) == 1 else f"{text} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="training runs per side (default 2)")
    parser.add_argument("--samples", type=int, default=60_000, help="generated training images")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker[0], Path(args.worker[1]), args.epochs)

    dlkit = shutil.which("dlkit", path=str(Path(sys.executable).parent)) or shutil.which("dlkit")
    with tempfile.TemporaryDirectory(prefix="dlkit-bench-") as tmp:
        tmp = Path(tmp)
        npz, config = tmp / "data.npz", tmp / "throughput.yaml"
        make_data(npz, args.samples)
        write_config(config, npz, args.epochs)
        runs = {"plain": [], "dlkit": []}
        for i in range(args.repeats):  # alternate the order, so drifting load hits both sides
            for kind in ("plain", "dlkit") if i % 2 == 0 else ("dlkit", "plain"):
                r = run_worker(kind, npz if kind == "plain" else config, args.epochs)
                r["rate"] = r["samples"] / r["seconds"]
                runs[kind].append(r)
                print(
                    f"  run {i + 1} {kind:5}: {r['samples']} samples in {r['seconds']:.2f} s = "
                    f"{r['rate']:,.0f}/s, loss {r['logs']['loss']:.4f}; other processes used "
                    f"{r['other_cpu']:.0f} CPU s meanwhile",
                    flush=True,
                )
        e2e = wall([dlkit, "train", str(config), "--runs-dir", str(tmp / "runs")], 1)
    help_times = wall([dlkit, "--help"], 5)
    validate_times = wall([dlkit, "validate", "configs/quickstart.yaml"], 5)

    rate = {k: [r["rate"] for r in v] for k, v in runs.items()}
    ratio = statistics.median(rate["dlkit"]) / statistics.median(rate["plain"])
    print(
        f"\n{args.samples:,} samples ({1 - VALIDATION:.0%} trained), {args.epochs} epochs, "
        f"batch {BATCH}, {args.repeats} run(s) per side: median (min-max)"
    )
    # Each repeat's pair ran back to back; a pair where other processes took more than a tenth of
    # the machine's time is not comparable.
    pairs = [d["rate"] / p["rate"] for p, d in zip(runs["plain"], runs["dlkit"], strict=True)]
    quiet = [
        r
        for r, p, d in zip(pairs, runs["plain"], runs["dlkit"], strict=True)
        if max(p["other_cpu"] / p["seconds"], d["other_cpu"] / d["seconds"]) < 0.2  # 2 cores: 10%
    ]
    rows = [
        ("samples/s plain", spread(rate["plain"], ",.0f")),
        ("samples/s dlkit", spread(rate["dlkit"], ",.0f")),
        ("ratio dlkit/plain", f"{ratio:.2f}  (goal >= 1.0, aim 1.2)"),
        ("ratio of each pair", ", ".join(f"{r:.2f}" for r in pairs) + f"  ({len(quiet)} on a quiet machine)"),
    ]
    for kind in ("plain", "dlkit"):
        for key in ("loss", "val_loss", "val_accuracy"):
            rows.append((f"final {key} {kind}", spread([r["logs"][key] for r in runs[kind]], ".4f")))
    rows += [
        ("dlkit train, end to end", f"{e2e[0]:.1f} s"),
        ("dlkit --help", spread(help_times, ".2f") + " s  (goal < 0.5 s)"),
        ("dlkit validate quickstart", spread(validate_times, ".2f") + " s  (goal < 0.5 s)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
