"""`dlkit predict` on a large CSV against the plain script a user writes first (issue 30).

What it measures
  A 200,000-row CSV shaped like real data (six numeric columns, a city of 40 values as a
  category, a few blank cells, the target left in), and a small classification run trained on
  5,000 of its rows with the CLI (1 epoch, one 16-unit layer). Then whole processes, in
  alternated pairs (`--pairs`, at least 3):
    dlkit  `python -m dlkit predict RUN rows.csv --output out.csv` (stdout not a terminal);
    plain  pandas.read_csv + keras.saving.load_model(RUN/model.keras) + model.predict on the
           columns the model takes (through tf.data, batches of 256, as dlkit does) +
           DataFrame.to_csv of the predicted class and its probability.
  Reported: each pair's seconds and ratio, the median ratio dlkit/plain, the peak RSS of each
  (ru_maxrss of the finished child), and dlkit's peak RSS at 20,000 and at 200,000 rows (memory
  bounded by a chunk, not the file).

Goal (issue 30): the median ratio within 1.2.

Run (about 3 minutes on 2 CPU cores; the ratios of alternated pairs are what count on a shared box):
    .venv/bin/python benchmarks/predict_scale.py
    .venv/bin/python benchmarks/predict_scale.py --rows 50000 --pairs 3   # quicker
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(REPO)}

PLAIN = """
import json
import sys

import numpy as np
import pandas as pd
import tensorflow as tf

import dlkit.layers.custom  # noqa: F401  (the run's model may hold dlkit's own layers)
import keras

run, rows, out = sys.argv[1:]
model = keras.saving.load_model(run + "/model.keras")
classes = json.load(open(run + "/run.json"))["classes"]
frame = pd.read_csv(rows)
columns = {}
for tensor in model.inputs:
    cells = frame[tensor.name]
    if tensor.dtype == "string":
        columns[tensor.name] = cells.fillna("").astype(str).to_numpy(object)[:, None]
    else:
        columns[tensor.name] = pd.to_numeric(cells, errors="coerce").to_numpy("float32")[:, None]
probabilities = model.predict(tf.data.Dataset.from_tensor_slices(columns).batch(256), verbose=0)
best = probabilities.argmax(axis=1)
pd.DataFrame({"prediction": np.array(classes)[best], "probability": probabilities.max(axis=1)}).to_csv(out, index=False)
"""


def make_rows(n: int, seed: int = 0):
    """Six numeric columns, a city (40 values) as a category, about 1% blank cells, a 3-class target."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.normal(i, 1 + i, n).round(4) for i in range(6)})
    frame["city"] = rng.choice([f"city{i:02d}" for i in range(40)], n)
    score = frame.x0 + 0.3 * frame.x1 - 0.2 * frame.x2 + (frame.city < "city10")
    frame["grade"] = np.select([score < 0, score < 1.2], ["low", "mid"], "high")
    for name in ("x1", "x4", "city"):
        frame.loc[rng.choice(n, n // 100, replace=False), name] = None
    return frame


def train_run(folder: Path, sample) -> Path:
    """`dlkit train` on the sample: 1 epoch of one 16-unit layer; the run folder."""
    import yaml

    sample.to_csv(folder / "train.csv", index=False)
    config = {
        "name": "scale",
        "seed": 1,
        "task": "classification",
        "data": {"dataset": "csv", "batch_size": 64,
                 "options": {"path": str(folder / "train.csv"), "target": "grade", "categorical": ["city"],
                             "missing": "mean"}},
        "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"},
                             {"type": "dense", "units": 3, "activation": "softmax"}]},
        "train": {"epochs": 1},
    }  # fmt: skip
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "dlkit", "train", str(folder / "config.yaml"), "--runs-dir", str(folder / "runs")]
    result = subprocess.run([*command, "-q"], env=ENV, capture_output=True, text=True, check=True)
    return Path(result.stdout.strip().splitlines()[-1])


def _run(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of a whole child process (its own ru_maxrss, through wait4)."""
    started = time.monotonic()
    child = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="predict-scale-"))
    frame = make_rows(args.rows)
    rows = folder / "rows.csv"
    frame.to_csv(rows, index=False)
    frame.head(args.rows // 10).to_csv(folder / "tenth.csv", index=False)
    run = train_run(folder, frame.sample(5000, random_state=0))
    (folder / "plain.py").write_text(PLAIN)
    dlkit = [sys.executable, "-m", "dlkit", "predict", str(run)]
    plain = [sys.executable, str(folder / "plain.py"), str(run), str(rows), str(folder / "plain.csv")]
    load = os.getloadavg()[0]
    print(f"{args.rows:,} rows; load average {load:.1f} on {os.cpu_count()} CPUs: the ratios of pairs count")
    ratios, peaks = [], {"dlkit": [], "plain": []}
    for pair in range(max(args.pairs, 3)):
        ours, our_peak = _run([*dlkit, str(rows), "--output", str(folder / "out.csv")])
        theirs, their_peak = _run(plain)
        ratios.append(ours / theirs)
        peaks["dlkit"].append(our_peak)
        peaks["plain"].append(their_peak)
        figures = f"dlkit {ours:.2f} s ({our_peak:.0f} MiB), plain {theirs:.2f} s ({their_peak:.0f} MiB)"
        print(f"pair {pair + 1}: {figures}, ratio {ours / theirs:.2f}")
    print(f"median ratio dlkit/plain: {statistics.median(ratios):.2f} (goal <= 1.2)")
    print(f"peak RSS: dlkit {max(peaks['dlkit']):.0f} MiB, plain {max(peaks['plain']):.0f} MiB")
    _, small = _run([*dlkit, str(folder / "tenth.csv"), "--output", str(folder / "tenth_out.csv")])
    print(f"dlkit peak RSS: {small:.0f} MiB at {args.rows // 10} rows, {max(peaks['dlkit']):.0f} MiB at {args.rows}")
    print(f"files in {folder}")


if __name__ == "__main__":
    main()
