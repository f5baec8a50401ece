"""Whole processes, timed in alternated pairs against the plain script they replace: what
benchmarks/images.py and benchmarks/small_runs.py share.

Each process is timed from its start to its exit; its CPU seconds (ru_utime + ru_stime) and peak
RSS (ru_maxrss) come from os.wait4. Beside them: the CPU seconds other processes used meanwhile and
the load average as the pair began. On a shared machine a pair with much of either is not
comparable in wall time (its CPU-seconds ratio still is, roughly)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throughput import busy_cpu_seconds


def run(argv: list[str], env: dict, cwd: Path) -> dict:
    """A whole process: its wall seconds, CPU seconds, peak RSS (MB), the CPU seconds others used
    meanwhile, and its stdout. Exits the benchmark with its stderr if it fails."""
    busy, start = busy_cpu_seconds(), time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    own = usage.ru_utime + usage.ru_stime
    other = busy_cpu_seconds() - busy - own
    return {"seconds": seconds, "cpu": own, "rss": usage.ru_maxrss / 1024, "other_cpu": other, "out": stdout}


def pairs(name: str, plain: list[str], dlkit: list[str], count: int, env: dict, cwd: Path) -> list[tuple[dict, dict]]:
    """`count` pairs of whole processes, the order alternating; prints each pair (with the load
    average as it began) and the medians."""
    results = []
    for i in range(count):
        load = os.getloadavg()[0]
        order = ("plain", "dlkit") if i % 2 == 0 else ("dlkit", "plain")
        pair = {kind: run(plain if kind == "plain" else dlkit, env, cwd) for kind in order}
        results.append((pair["plain"], pair["dlkit"]))
        p, d = pair["plain"], pair["dlkit"]
        print(
            f"  {name} pair {i + 1}: plain {p['seconds']:.2f} s ({p['cpu']:.1f} CPU s, {p['rss']:.0f} MB), "
            f"dlkit {d['seconds']:.2f} s ({d['cpu']:.1f} CPU s, {d['rss']:.0f} MB): "
            f"ratio {p['seconds'] / d['seconds']:.3f}, CPU {p['cpu'] / d['cpu']:.3f}; load {load:.1f}, "
            f"other processes used {p['other_cpu']:.0f} / {d['other_cpu']:.0f} CPU s meanwhile",
            flush=True,
        )
    ratios = [p["seconds"] / d["seconds"] for p, d in results]
    cpu = [p["cpu"] / d["cpu"] for p, d in results]
    print(
        f"{name}: median ratio plain/dlkit {statistics.median(ratios):.3f} (CPU seconds "
        f"{statistics.median(cpu):.3f}; {count} pairs); median seconds plain "
        f"{statistics.median(p['seconds'] for p, _ in results):.2f}, dlkit "
        f"{statistics.median(d['seconds'] for _, d in results):.2f}; median peak RSS "
        f"plain {statistics.median(p['rss'] for p, _ in results):.0f} MB, "
        f"dlkit {statistics.median(d['rss'] for _, d in results):.0f} MB",
        flush=True,
    )
    return results
