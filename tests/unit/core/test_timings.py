"""A run's phase timings: laps add up by phase; start-up does not count what a shell ran before it
exec'd Python, nor a run before it in the same process."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_startup_does_not_count_what_the_shell_ran_before_it_execd_python():
    """`bash -c "pip install ... && dlkit train ..."` execs dlkit in the shell's process: the
    install is not dlkit's start-up."""
    busy = f"{sys.executable} -c 'import time; t = time.time()\nwhile time.time() - t < 1.0: pass'"
    startup = "from dlkit.core.timings import Timings; print(Timings().seconds['startup'])"
    shell = f'{busy}; exec {sys.executable} -c "{startup}"'
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=REPO, check=True)
    assert float(done.stdout) < 0.5, done.stdout


def test_laps_add_up_by_phase_and_the_next_runs_startup_counts_from_done(monkeypatch):
    from dlkit.core import timings

    clock = iter([100.0, 101.5, 104.0, 104.5, 110.0, 112.0])
    monkeypatch.setattr(timings.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(timings, "_clock_start", 99.0)
    run = timings.Timings()  # made at 100.0: 1 s of startup
    run.lap("data")  # 101.5
    run.lap("fit")  # 104.0
    run.lap("data")  # 104.5: data again, added
    assert run.done() == {"startup": 1.0, "data": 2.0, "fit": 2.5, "total": 11.0}  # done at 110.0
    assert timings.Timings().seconds == {"startup": 2.0}  # the next run, made at 112.0
