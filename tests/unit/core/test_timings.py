"""Start-up time: what a shell ran before it exec'd Python is not dlkit's."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_startup_does_not_count_what_the_shell_ran_before_it_execd_python():
    """`bash -c "pip install ... && dlkit train ..."` execs dlkit in the shell's process: the
    install is not dlkit's start-up."""
    busy = f"{sys.executable} -c 'import time; t = time.time()\nwhile time.time() - t < 1.0: pass'"
    startup = "from dlkit.timings import Timings; print(Timings().seconds['startup'])"
    shell = f'{busy}; exec {sys.executable} -c "{startup}"'
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=REPO, check=True)
    assert float(done.stdout) < 0.5, done.stdout
