"""The run's plots drawn in a spare process, off training's critical path.

`dlkit train` starts the spare process (`start`) before it imports TensorFlow, so that matplotlib
(0.45 CPU s) is imported on a second core while the first imports TensorFlow; it then waits, idle,
until training ends. The drawings `dlkit.core.plots` marks as `offloaded` are sent to it as they
come (the learning curves, the task's report on the test split) while the main process goes on
scoring, and `wait` (at the end of the run) waits for the last one. Without a spare process (not
started, or it could not start) each is drawn in the calling process, as before.

The spare process takes nothing but pickled calls from its parent on stdin, ignores Ctrl-C (the
parent ends it by closing stdin) and ends with its parent. A drawing that fails there (a full
disk) sends its exception back, pickled, and `wait` raises it, as the drawing would have raised in
the parent."""

from __future__ import annotations

import dataclasses
import functools
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import IO


@dataclasses.dataclass
class _Spare:
    process: subprocess.Popen
    errors: IO[bytes]  # its stderr: a file, not a pipe nobody reads until the end

    def send(self, name: str, args: tuple, kwargs: dict) -> bool:
        """Send one drawing; False when the process is gone (`wait` tells why)."""
        try:
            pickle.dump((name, args, kwargs), self.process.stdin)
            self.process.stdin.flush()
        except (OSError, ValueError):
            return False
        return True


_spare: _Spare | None = None

#: The spare process's program: the working folder off the path first (`-c` puts it there), so
#: that a user's `matplotlib.py` beside their config is not imported.
_SERVE = "import sys; sys.path.pop(0); from dlkit.core.plots import serve_spare; serve_spare()"


def start() -> None:
    """Start the spare process (once); where it cannot start, drawings stay in this process."""
    global _spare
    if _spare is not None and _spare.process.poll() is None:
        return
    errors = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,  # the exception a drawing raised, pickled, if one did
            stderr=errors,
        )
    except OSError:
        errors.close()
        return
    _spare = _Spare(process, errors)


def offloaded(function: Callable) -> Callable:
    """A drawing function of `dlkit.core.plots`, run in the spare process when one is up."""

    @functools.wraps(function)
    def draw(*args, **kwargs) -> None:
        if _spare is None or not _spare.send(function.__name__, args, kwargs):
            function(*args, **kwargs)

    return draw


def wait() -> None:
    """Wait for the spare process to draw what it was sent, and end it. A drawing that failed
    there fails here, as it would have in this process."""
    global _spare
    spare, _spare = _spare, None
    if spare is None:
        return
    try:
        spare.process.stdin.close()
    except OSError:
        pass
    raised = spare.process.stdout.read()
    spare.process.stdout.close()
    code = spare.process.wait()
    spare.errors.seek(0)
    said = spare.errors.read().decode(errors="replace").strip()
    spare.errors.close()
    if raised:
        raise pickle.loads(raised)  # as in this process: a full disk is the same one line
    if code != 0:
        raise RuntimeError(f"drawing the run's plots failed in the spare process (exit {code}):\n{said}")


def serve(draw: Callable[[str, tuple, dict], None]) -> None:
    """The spare process's loop: `draw` each call read from stdin until the parent closes it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            name, args, kwargs = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        try:
            draw(name, args, kwargs)
        except Exception as e:  # told to the parent, which raises it
            pickle.dump(e, sys.stdout.buffer)
            sys.stdout.flush()
            raise
