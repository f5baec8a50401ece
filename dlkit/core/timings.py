"""Where a run's time goes: its phases (startup, data, build, fit, evaluate, plots) timed on one
clock, recorded as `run.json`'s `timings` and printed by `dlkit train -v`.

`startup` is the time from the process's start (Linux: from /proc; elsewhere from dlkit's import)
to the run's first step: Python, imports, reading the config. A process that ran other programs
before it became dlkit (`bash -c "pip install ... && dlkit train ..."`, whose shell execs its last
command) counts from dlkit's import instead: its start is the shell's, and the install is not
dlkit's. In a process that trains more than once (`dlkit tune`, `dlkit cv`, tests), a later run's
startup counts from the end of the one before."""

from __future__ import annotations

import os
import time
from pathlib import Path

#: The phases, in the order a run goes through them.
PHASES = ("startup", "data", "build", "fit", "evaluate", "plots")


def _process_age() -> float:
    """Seconds since this process started, or 0 where the system does not say or where the process
    waited for programs of its own before it exec'd Python (their CPU time is its children's)."""
    times = os.times()
    if times.children_user + times.children_system > 0:
        return 0.0
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


_clock_start = time.perf_counter() - _process_age()


class Timings:
    """One run's phase timings; `startup` is taken when it is made."""

    def __init__(self):
        self.start, self.last = _clock_start, time.perf_counter()
        self.seconds = {"startup": self.last - self.start}

    def lap(self, phase: str) -> None:
        """Count the time since the last lap (or since startup) into `phase`."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self.last
        self.last = now

    def done(self) -> dict[str, float]:
        """The phases and the total so far (seconds, to 3 decimals); the next run's startup counts from now."""
        global _clock_start
        now = time.perf_counter()
        _clock_start = now
        ordered = [name for name in PHASES if name in self.seconds]
        return {name: round(self.seconds[name], 3) for name in ordered} | {"total": round(now - self.start, 3)}
