"""Serving under load: `dlkit serve` against the naive server a user writes first, on loopback.

What it measures
  The quickstart model (configs/quickstart.yaml, trained here unless `--run` names a run) served
  two ways, each a subprocess on a free 127.0.0.1 port:
    dlkit  `dlkit serve RUN` (tf.function, dynamic batching: --max-batch 32, --batch-timeout-ms 2);
    naive  a FastAPI route (`def`, so FastAPI runs it in its thread pool) that parses the JSON and
           calls `model.predict` once per request, on uvicorn: what a FastAPI tutorial leads to.
  Both take TF Serving's format, one instance of raw pixels per request
  (`{"instances": [8x8x1 nested list]}`), the digits' last images in turn.
  An asyncio httpx client keeps `concurrency` requests in flight until `--requests` are answered
  (or `--time-cap` seconds pass), at concurrency 1, 8 and 32, after 50 warm-up requests.
  Reported: requests/s, p50/p99 latency (client side, ms), errors (non-200 or failed
  connections), the server's RSS (/proc) before the first level and after the last, and
  dlkit/naive ratios. The client shares the 2 CPU cores with the server, as it would on one box.

Goals (issue 14): 0 errors; p50 < 5 ms at concurrency 1; at concurrency 32, >= 3x the naive
server's requests/s.

Run (about 3 minutes on 2 CPU cores, most of it the naive server; nothing else heavy meanwhile):
    .venv/bin/python benchmarks/serve.py
    .venv/bin/python benchmarks/serve.py --run runs/latest --requests 500   # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(REPO)}

NAIVE = """
import sys

import numpy as np
import uvicorn
from fastapi import FastAPI

import dlkit.layers.custom  # noqa: F401  (the run's model may hold dlkit's own layers)
import keras

model = keras.saving.load_model(sys.argv[1] + "/model.keras")
app = FastAPI()


@app.post("/v1/models/quickstart:predict")
def predict(body: dict):
    x = np.array(body["instances"], dtype="float32")
    probabilities = model.predict(x, verbose=0)
    return {"predictions": [{"label": str(int(p.argmax())), "probability": float(p.max())} for p in probabilities]}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    found = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(found[1]) / 1024 if found else float("nan")


def train(folder: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "dlkit",
        "train",
        str(REPO / "configs/quickstart.yaml"),
        "--runs-dir",
        str(folder),
        "-q",
    ]
    done = subprocess.run(command, env=ENV, capture_output=True, text=True, check=True)
    return Path(done.stdout.strip().splitlines()[-1])


def start(command: list[str], port: int) -> subprocess.Popen:
    import httpx

    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}\n{process.stderr.read().decode()[-1500:]}")


async def load(url: str, bodies: list[bytes], requests: int, concurrency: int, cap: float) -> dict:
    """`requests` POSTs with `concurrency` in flight; latencies in ms, errors, wall time."""
    import httpx

    latencies, errors, sent = [], 0, 0
    headers = {"content-type": "application/json"}
    started = time.perf_counter()
    deadline = started + cap

    async def worker():
        """One kept-alive connection each: httpx's shared pool costs the client more CPU than the
        server spends per request at 32 connections, on the 2 cores they share."""
        nonlocal errors, sent
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=30) as client:
            while sent < requests and time.perf_counter() < deadline:
                body = bodies[sent % len(bodies)]
                sent += 1
                begun = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - begun) * 1000)
                errors += not ok

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "errors": errors,
    }


def bench(name: str, command: list[str], port: int, bodies, args) -> list[dict]:
    process = start(command, port)
    url = f"http://127.0.0.1:{port}/v1/models/quickstart:predict"
    try:
        asyncio.run(load(url, bodies, 50, 1, 60))  # warm-up
        before = rss_mb(process.pid)
        rows = []
        for concurrency in args.concurrency:
            row = asyncio.run(load(url, bodies, args.requests, concurrency, args.time_cap))
            rows.append({"server": name, "concurrency": concurrency, **row, "rss_before": before})
            print(f"  {name} c={concurrency}: {row['requests']} requests, {row['rps']:.0f}/s", file=sys.stderr)
        after = rss_mb(process.pid)
        batches = _mean_batch(port) if name == "dlkit" else None
        for row in rows:
            row["rss_after"] = after
        if batches:
            print(f"  dlkit mean batch size over the run: {batches:.2f}", file=sys.stderr)
        return rows
    finally:
        process.terminate()
        process.wait(30)


def _mean_batch(port: int) -> float | None:
    import httpx

    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    total = re.search(r'dlkit_serve_batch_size_sum\{model="quickstart"\} (\S+)', text)
    count = re.search(r'dlkit_serve_batch_size_count\{model="quickstart"\} (\S+)', text)
    return float(total[1]) / float(count[1]) if total and count and float(count[1]) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, help="a quickstart run folder; default: train one in a temp folder")
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--time-cap", type=float, default=30.0, help="seconds per level at most")
    args = parser.parse_args()

    import numpy as np
    from sklearn.datasets import load_digits

    with tempfile.TemporaryDirectory(prefix="dlkit-serve-bench-") as tmp:
        run = (args.run or train(Path(tmp) / "runs")).resolve()
        images = np.round(load_digits().images[-200:] * (255.0 / 16.0)).astype("uint8")[..., None]
        bodies = [json.dumps({"instances": [image.tolist()]}).encode() for image in images]
        naive = Path(tmp) / "naive_server.py"
        naive.write_text(NAIVE)
        port = free_port()
        dlkit = [sys.executable, "-m", "dlkit", "serve", str(run), "--port", str(port), "--poll", "0"]
        rows = bench("dlkit", dlkit, port, bodies, args)
        port = free_port()
        rows += bench("naive", [sys.executable, str(naive), str(run), str(port)], port, bodies, args)

    print(f"\nrun: {run}   cores: {os.cpu_count()}   requests per level: {args.requests} (cap {args.time_cap:g} s)")
    print("| server | concurrency | requests | requests/s | p50 ms | p99 ms | errors | RSS before -> after (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(
            f"| {r['server']} | {r['concurrency']} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.2f} | "
            f"{r['p99']:.2f} | {r['errors']} | {r['rss_before']:.0f} -> {r['rss_after']:.0f} |"
        )
    by = {(r["server"], r["concurrency"]): r for r in rows}
    ratios = [f"c={c}: {by['dlkit', c]['rps'] / by['naive', c]['rps']:.1f}x" for c in args.concurrency]
    print("\ndlkit/naive requests/s: " + ", ".join(ratios))
    one, top = by["dlkit", args.concurrency[0]], args.concurrency[-1]
    goals = [
        ("0 errors", all(r["errors"] == 0 for r in rows)),
        (f"dlkit p50 < 5 ms at concurrency {args.concurrency[0]} ({one['p50']:.2f} ms)", one["p50"] < 5),
        (
            f">= 3x naive requests/s at concurrency {top} ({by['dlkit', top]['rps'] / by['naive', top]['rps']:.1f}x)",
            by["dlkit", top]["rps"] >= 3 * by["naive", top]["rps"],
        ),
    ]
    for goal, met in goals:
        print(f"goal {'met' if met else 'MISSED'}: {goal}")


if __name__ == "__main__":
    main()
