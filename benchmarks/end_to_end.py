"""`dlkit train` against the plain Keras script it replaces, as whole processes: wall time and peak memory.

What it measures
  The classic MNIST CNN (benchmarks/throughput.py's model and generated data: `--samples` 28x28 uint8
  images, a test split of samples / 6) trained for `--epochs` epochs, batch 128, each side a fresh
  process timed from start to exit, on the Keras backend `--backend` (tensorflow, jax or torch):
    plain  the script a Keras user writes (PLAIN below): import Keras, load the .npz, scale by 1/255
           in numpy, `fit(validation_split=0.1)` on the numpy arrays, `evaluate` on the test split,
           `save` model.keras; the backend from KERAS_BACKEND, as a JAX or PyTorch user picks it;
    dlkit  `dlkit train CONFIG --backend B --runs-dir TMP -q`: the same model and data, and everything
           a run writes on top (config, checkpoints, history, metrics on three splits, plots, run.json).
  The two alternate (plain first in odd pairs, dlkit first in even ones), so drifting load hits both.
  Peak memory is each child's maximum resident set (`os.wait4`'s rusage, ru_maxrss), CPU seconds its
  user + system time (steadier than wall time on a shared machine), load the 1-minute load average
  as it ended.
  Each pair also reports the CPU seconds other processes used meanwhile: on a 2-core machine a pair
  with more than a few is not comparable; repeat it.
  With `--checkout DIR` (repeatable), dlkit is also run from another checkout of the repository
  (PYTHONPATH=DIR, e.g. a `git worktree` at an older commit), in the same alternation: what each change
  bought, measured side by side.

Run (about 4 minutes at full size on 2 CPU cores with TensorFlow; nothing else heavy meanwhile):
    .venv/bin/python benchmarks/end_to_end.py                   # 60,000 samples, 3 epochs, 3 pairs
    .venv/bin/python benchmarks/end_to_end.py --backend jax     # the same on JAX (torch: PyTorch)
    .venv/bin/python benchmarks/end_to_end.py --samples 6000    # smoke check
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

from throughput import BATCH, ENV, REPO, SEED, VALIDATION, busy_cpu_seconds, make_data, write_config

PLAIN = f"""
import sys
import keras
import numpy as np

data, out = sys.argv[1], sys.argv[2]
with np.load(data) as f:
    x, y, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
x = np.expand_dims(x.astype("float32") / 255, -1)
x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
keras.utils.set_random_seed({SEED})
model = keras.Sequential([
    keras.Input((28, 28, 1)),
    keras.layers.Conv2D(32, 3, activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size={BATCH}, epochs=int(sys.argv[3]), validation_split={VALIDATION}, verbose=0)
loss, accuracy = model.evaluate(x_test, y_test, batch_size={BATCH}, verbose=0)
model.save(out)
print(f"test accuracy {{accuracy:.4f}}")
"""


def run(argv: list[str], env: dict, cwd: Path) -> dict:
    """Run one whole process; its wall time, CPU seconds, peak RSS (MiB), the load average as it ended
    and the CPU seconds others used meanwhile."""
    busy, start = busy_cpu_seconds(), time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    own = usage.ru_utime + usage.ru_stime
    return {
        "seconds": seconds,
        "cpu": own,
        "load": os.getloadavg()[0],
        "rss": usage.ru_maxrss / 1024,
        "other_cpu": busy_cpu_seconds() - busy - own,
        "stdout": stdout,
    }


def timings(stdout: str) -> dict:
    """The phase timings run.json records (dlkit prints the run folder as its last line)."""
    run_dir = Path(stdout.strip().splitlines()[-1])
    return json.loads((run_dir / "run.json").read_text()).get("timings", {})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="alternated pairs (default 3)")
    parser.add_argument("--samples", type=int, default=60_000, help="generated training images")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--backend", choices=("tensorflow", "jax", "torch"), default="tensorflow", help="Keras's backend, both sides"
    )
    parser.add_argument("--checkout", action="append", default=[], type=Path, help="also time dlkit from this checkout")
    return parser.parse_args(argv)


def commands(args: argparse.Namespace, tmp: Path, sides: dict[str, Path]) -> dict[str, tuple[list[str], dict, Path]]:
    """(argv, environment, working folder) of each side: the plain script on KERAS_BACKEND, and
    `dlkit train --backend` from each checkout."""
    env = {**ENV, "KERAS_BACKEND": args.backend}
    npz, config = tmp / "data.npz", tmp / "mnist.yaml"
    plain = [sys.executable, str(tmp / "plain.py"), str(npz), str(tmp / "plain.keras"), str(args.epochs)]
    found = {"plain": (plain, env, tmp)}
    for name, checkout in sides.items():
        argv = [sys.executable, "-m", "dlkit", "train", str(config), "--backend", args.backend]
        # `python -m` puts the working folder first on the path: the checkout's own, to run its code.
        found[name] = ([*argv, "--runs-dir", str(tmp / "runs"), "-q"], {**env, "PYTHONPATH": str(checkout)}, checkout)
    return found


def main() -> None:
    args = parse_args()
    sides = {"dlkit": REPO, **{f"dlkit@{path.name}": path.resolve() for path in args.checkout}}
    results: dict[str, list[dict]] = {"plain": [], **{name: [] for name in sides}}
    with tempfile.TemporaryDirectory(prefix="dlkit-e2e-") as tmp:
        tmp = Path(tmp)
        make_data(tmp / "data.npz", args.samples)
        write_config(tmp / "mnist.yaml", tmp / "data.npz", args.epochs)
        (tmp / "plain.py").write_text(PLAIN)
        sides_argv = commands(args, tmp, sides)
        for i in range(args.pairs):
            order = list(sides_argv) if i % 2 == 0 else list(reversed(sides_argv))
            for name in order:
                r = run(*sides_argv[name])
                r["timings"] = timings(r["stdout"]) if name != "plain" else {}
                if r["timings"]:  # what the process spent after run.json said completed: the table, exit
                    r["timings"]["after"] = round(r["seconds"] - r["timings"]["total"], 3)
                results[name].append(r)
                phases = ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items())
                print(
                    f"  pair {i + 1} {name:12}: {r['seconds']:6.1f} s ({r['cpu']:.1f} CPU s, load {r['load']:.1f}), "
                    f"peak RSS {r['rss']:6.0f} MiB; others used {r['other_cpu']:.0f} CPU s"
                    + (f"; {phases}" if phases else ""),
                    flush=True,
                )
    summary(args, sides, results)


def summary(args: argparse.Namespace, sides: dict[str, Path], results: dict[str, list[dict]]) -> None:
    plain = results["plain"]

    def medians(runs: list[dict]) -> str:
        return (
            f"{statistics.median(r['seconds'] for r in runs):.1f} s ({statistics.median(r['cpu'] for r in runs):.1f} "
            f"CPU s), peak RSS {statistics.median(r['rss'] for r in runs):.0f} MiB"
        )

    print(
        f"\n{args.samples:,} samples, {args.epochs} epochs, batch {BATCH}, {args.pairs} alternated pairs, "
        f"backend {args.backend}; load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    rows = [("plain script", medians(plain))]
    for name in sides:
        mine = results[name]
        pairs = [p["seconds"] / d["seconds"] for p, d in zip(plain, mine, strict=True)]
        cpu = [p["cpu"] / d["cpu"] for p, d in zip(plain, mine, strict=True)]
        memory = [d["rss"] / p["rss"] for p, d in zip(plain, mine, strict=True)]
        rows += [
            (name, medians(mine)),
            (f"  time plain/{name}", f"median {statistics.median(pairs):.2f}; pairs "
             + ", ".join(f"{r:.2f}" for r in pairs) + "  (goal >= 1.0, aim 1.2)"),
            (f"  CPU s plain/{name}", f"median {statistics.median(cpu):.2f}; pairs "
             + ", ".join(f"{r:.2f}" for r in cpu)),
            (f"  peak RSS {name}/plain", f"median {statistics.median(memory):.2f}; pairs "
             + ", ".join(f"{r:.2f}" for r in memory) + "  (goal <= 1.1)"),
        ]  # fmt: skip
        phases = [r["timings"] for r in mine if r["timings"]]
        if phases:
            medians_ = {k: statistics.median(t.get(k, 0) for t in phases) for k in phases[0]}
            rows.append((f"  {name} phases (median s)", ", ".join(f"{k} {v:.1f}" for k, v in medians_.items())))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
