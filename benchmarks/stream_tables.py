"""Tables beyond memory (`data.options.stream: true`, issue 30): a CSV of several GB trained and
predicted in a 1 GB memory limit, against pandas.read_csv of the same file and the in-memory loader
on a 1% sample.

What it measures
  A generated table of `--gigabytes` GB in `--shards` CSV shards under `--folder` (made once, kept
  for the next run): 24 numeric columns (0.1% blank cells in one), a city of 40 values, a 0/1
  target drawn from a logistic model of them; and sample.csv, 1% of its rows drawn as they are
  written. Then whole processes:
    read     pandas.read_csv of every shard, the frames concatenated (what a script loads first):
             seconds, rows/s, peak RSS;
    stream   dlkit's streamed loader (no memory limit): its one pass (parse, clean, split, fit the
             encoders' statistics), then one pass of the training rows as training reads them
             (tf.data batches of 1024, shuffled within windows): seconds and rows/s of each, peak RSS;
    train    `dlkit train` of a streamed run (1 epoch of a 16-unit layer) in a memory cgroup of
             `--memory`: seconds, test figures, peak RSS (shared library pages too) and the cgroup's
             peaks: with file pages (which the kernel reclaims at the limit) and anonymous memory;
    predict  `dlkit predict RUN <shards> --output` in the same cgroup: seconds, rows/s, peaks;
    memory   `dlkit train` of the same config, stream: false, on sample.csv (1%), `--epochs-memory`
             epochs (20) (100 times fewer rows a pass), no limit: test figures.
  Ratios against the baselines measured in the same run: streamed rows/s / pandas rows/s; the
  streamed test accuracy and loss less the in-memory ones.

The cgroup is cgroup v1's memory controller (`/sys/fs/cgroup/memory`), which needs root; without it
the runs are made without a limit and the script says so.

Run (2 shared CPU cores: about a minute at 0.05 GB; about 40 minutes at 3 GB, half of it predict):
    .venv/bin/python benchmarks/stream_tables.py --gigabytes 0.05
    .venv/bin/python benchmarks/stream_tables.py --gigabytes 3
    .venv/bin/python benchmarks/stream_tables.py --steps train   # the streamed run and predict alone
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(REPO)}
#: This run's own memory cgroup (two runs at once must not share one limit).
CGROUP = Path(f"/sys/fs/cgroup/memory/dlkit-stream-bench-{os.getpid()}")
NUMERIC = 24

READ = """
import glob, sys, time
import pandas as pd
started = time.monotonic()
frame = pd.concat([pd.read_csv(path) for path in sorted(glob.glob(sys.argv[1]))], ignore_index=True)
print(len(frame), time.monotonic() - started)
"""

STREAM = """
import sys, time
import numpy as np
from dlkit.data.pipeline import to_dataset
from dlkit.data.splits import Split
from dlkit.data.stream import TRAIN
from dlkit.data.table import Csv
started = time.monotonic()
arrays = Csv(path=sys.argv[1], target="label", stream=True, missing="mean").holding_out(0.2, 0.1).load()
scanned = time.monotonic() - started
rows = arrays.x_train
train = Split(rows.only(TRAIN), arrays.y_train[rows.row_parts == TRAIN])
started, count = time.monotonic(), 0
for x, y in to_dataset(train, batch_size=1024, shuffle=True, seed=0):
    count += len(y)
print(arrays.rows.read, scanned, count, time.monotonic() - started)
"""


def generate(folder: Path, gigabytes: float, shards: int) -> int:
    """The shards and sample.csv (kept if there already for this size); returns the rows written."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    done = folder / f"done-{gigabytes}-{shards}"
    if done.is_file():
        return int(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    rng = np.random.default_rng(0)
    weights, cities = rng.normal(0, 0.5, NUMERIC), rng.normal(0, 1.0, 40)
    writers, sample, written, chunk = None, None, 0, 200_000
    while not writers or sum(sink.tell() for _, sink in writers) < gigabytes * 1e9:
        x = rng.normal(0, 1, (chunk, NUMERIC)).round(3)
        city = rng.integers(0, 40, chunk)
        logit = x @ weights + cities[city] + rng.logistic(0, 1, chunk)
        columns = {f"x{i}": x[:, i] for i in range(NUMERIC)}
        columns["x0"] = np.where(rng.random(chunk) < 0.001, np.nan, x[:, 0])
        columns["city"] = np.array([f"city{i:02d}" for i in range(40)])[city]
        columns["label"] = (logit > 0).astype("int64")
        table = pa.table(columns)
        if writers is None:
            sinks = [pa.output_stream(str(folder / f"part-{i:02d}.csv")) for i in range(shards)]
            writers = [(pcsv.CSVWriter(sink, table.schema), sink) for sink in sinks]
            sample = pcsv.CSVWriter(str(folder / "sample.csv"), table.schema)
        writers[(written // chunk) % shards][0].write_table(table)
        sample.write_table(table.filter(pa.array(rng.random(chunk) < 0.01)))
        written += chunk
    for writer, sink in writers:
        writer.close()
        sink.close()
    sample.close()
    done.write_text(str(written))
    return written


def limited(memory: str | None):
    """A function run in the child before it starts: into the cgroup (None: no limit)."""
    if memory is None:
        return None

    def enter():
        (CGROUP / "cgroup.procs").write_text(str(os.getpid()))

    return enter


def cgroup(memory: str) -> str | None:
    """The cgroup of `memory`, made; None where cgroup v1's memory controller cannot be used."""
    try:
        CGROUP.mkdir(exist_ok=True)
        (CGROUP / "memory.limit_in_bytes").write_text(memory)
        return memory
    except OSError as e:
        print(f"no memory cgroup ({e}): the runs have no memory limit")
        return None


class Anonymous(threading.Thread):
    """The largest anonymous memory (`rss` of memory.stat: not file pages) of the cgroup, polled."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.done = 0, threading.Event()

    def run(self):
        while not self.done.wait(0.2):
            for line in (CGROUP / "memory.stat").read_text().splitlines():
                if line.startswith("rss "):
                    self.peak = max(self.peak, int(line.split()[1]))


def run(command: list[str], memory: str | None = None) -> tuple[float, float, str | None, str]:
    """(seconds, peak RSS MiB, the cgroup's peaks or None, stdout) of a whole child process."""
    if memory is not None:
        (CGROUP / "memory.max_usage_in_bytes").write_text("0")
        anonymous = Anonymous()
        anonymous.start()
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=errors, preexec_fn=limited(memory))
        stdout = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)  # its own ru_maxrss
        seconds = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        said = errors.read().decode()
        if code != 0:
            raise SystemExit(f"{' '.join(command)} failed ({code}):\n{said[-3000:]}")
        for line in said.splitlines():  # what training says of the data: rows read, used, split
            if line.startswith(("data: ", "train ")):
                print(f"         {line}")
    peak = None
    if memory is not None:
        anonymous.done.set()
        anonymous.join()
        usage_peak = float((CGROUP / "memory.max_usage_in_bytes").read_text()) / 2**20
        peak = f"cgroup peak {usage_peak:,.0f} MiB with file pages, {anonymous.peak / 2**20:,.0f} MiB anonymous"
    return seconds, usage.ru_maxrss / 1024, peak, stdout.decode()


def config(folder: Path, path: Path, stream: bool, epochs: int, name: str) -> Path:
    import yaml

    written = folder / f"{name}.yaml"
    written.write_text(yaml.safe_dump({
        "name": name, "seed": 1, "task": "classification",
        "data": {"dataset": "csv", "batch_size": 1024,
                 "options": {"path": str(path), "target": "label", "missing": "mean", "stream": stream}},
        "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"},
                             {"type": "dense", "units": 2, "activation": "softmax"}]},
        "train": {"epochs": epochs, "optimizer": {"type": "adam", "learning_rate": 0.003}},
    }))  # fmt: skip
    return written


def trained(folder: Path, yaml_path: Path, memory: str | None) -> tuple[Path, dict, tuple]:
    command = [sys.executable, "-m", "dlkit", "train", str(yaml_path), "--runs-dir", str(folder / "runs"), "-q"]
    measured = run(command, memory)
    run_dir = Path(measured[3].strip().splitlines()[-1])
    return run_dir, json.loads((run_dir / "metrics.json").read_text())["test"], measured


def peaks(rss: float, group: str | None) -> str:
    return f"peak RSS {rss:,.0f} MiB" + (f", {group}" if group is not None else "")


def reading(glob: Path) -> float:
    """pandas.read_csv of every shard: prints its figures, returns its rows/s."""
    _, rss, _, out = run([sys.executable, "-c", READ, str(glob)])
    read_rows, read_seconds = int(out.split()[0]), float(out.split()[1])
    rate = read_rows / read_seconds
    print(f"read     pandas.read_csv: {read_rows:,} rows in {read_seconds:.1f} s, {rate:,.0f} rows/s, "
          f"{peaks(rss, None)}")  # fmt: skip
    return rate


def streaming(glob: Path, pandas_rate: float | None) -> None:
    """dlkit's pass and a pass of training batches, against pandas' rows/s."""
    _, rss, _, out = run([sys.executable, "-c", STREAM, str(glob)])
    scanned_rows, scanned, batched, batched_seconds = (float(v) for v in out.split())
    print(f"stream   one pass: {scanned_rows:,.0f} rows in {scanned:.1f} s, {scanned_rows / scanned:,.0f} rows/s; "
          f"training rows as tf.data batches: {batched:,.0f} in {batched_seconds:.1f} s (every row read), "
          f"{batched / batched_seconds:,.0f} rows/s; {peaks(rss, None)}")  # fmt: skip
    if pandas_rate:
        pass_ratio, batch_ratio = scanned_rows / scanned / pandas_rate, batched / batched_seconds / pandas_rate
        print(f"ratio    streamed/pandas rows/s: pass {pass_ratio:.2f}, training batches {batch_ratio:.2f}")


def streamed_run(folder: Path, glob: Path, rows: int, memory: str | None) -> dict:
    """`dlkit train` (1 epoch) and `dlkit predict` of every row in the cgroup; the test figures."""
    run_dir, streamed, (seconds, rss, group, _) = trained(folder, config(folder, glob, True, 1, "streamed"), memory)
    print(f"train    streamed, 1 epoch, limit {memory}: {seconds:.0f} s, test accuracy {streamed['accuracy']:.4f}, "
          f"loss {streamed['loss']:.4f}; {peaks(rss, group)}")  # fmt: skip
    shards = [str(p) for p in sorted(folder.glob("part-*.csv"))]
    predict = [sys.executable, "-m", "dlkit", "predict", str(run_dir), *shards, "--output", str(folder / "out.csv")]
    seconds, rss, group, _ = run(predict, memory)
    print(f"predict  {rows:,} rows, limit {memory}: {seconds:.0f} s, {rows / seconds:,.0f} rows/s; {peaks(rss, group)}")
    return streamed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gigabytes", type=float, default=3.0)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/dlkit-stream-bench"))
    parser.add_argument("--memory", default="1G", help="the cgroup's memory limit for train and predict")
    parser.add_argument("--epochs-memory", type=int, default=20)
    parser.add_argument("--steps", default="read,stream,train,memory", help="which to run (predict goes with train)")
    args = parser.parse_args()
    steps, started = set(args.steps.split(",")), time.monotonic()
    rows = generate(args.folder, args.gigabytes, args.shards)
    glob = args.folder / "part-*.csv"
    size = sum(p.stat().st_size for p in args.folder.glob("part-*.csv"))
    print(f"{size / 1e9:.2f} GB in {args.shards} shards, {rows:,} rows (made in {time.monotonic() - started:.0f} s)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    pandas_rate = reading(glob) if "read" in steps else None
    if "stream" in steps:
        streaming(glob, pandas_rate)
    try:
        streamed = streamed_run(args.folder, glob, rows, cgroup(args.memory)) if "train" in steps else None
    finally:
        if CGROUP.is_dir():
            CGROUP.rmdir()  # empty: its processes have ended, however
    if "memory" in steps:
        sample = config(args.folder, args.folder / "sample.csv", False, args.epochs_memory, "memory")
        _, in_memory, (seconds, rss, _, _) = trained(args.folder, sample, None)
        print(f"memory   1% sample in memory, {args.epochs_memory} epochs: {seconds:.0f} s, test accuracy "
              f"{in_memory['accuracy']:.4f}, loss {in_memory['loss']:.4f}; {peaks(rss, None)}")  # fmt: skip
    if streamed and "memory" in steps:
        print(f"ratio    streamed - in memory: accuracy {streamed['accuracy'] - in_memory['accuracy']:+.4f}, "
              f"loss {streamed['loss'] - in_memory['loss']:+.4f}")  # fmt: skip
    print(f"files in {args.folder} ({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
