"""A trial whose process is gone is not alive."""

from __future__ import annotations

import os


def test_a_trial_whose_process_is_gone_is_not_alive():
    import datetime as dt
    import platform
    import subprocess
    import sys
    from types import SimpleNamespace

    from dlkit.tuning.study import is_alive

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    here, beat = platform.node(), dt.datetime.now().astimezone()
    trial = lambda **attrs: SimpleNamespace(user_attrs=attrs)  # noqa: E731
    assert not is_alive(trial(host=here, pid=int(gone.stdout)))
    assert not is_alive(trial(host=here, pid=os.getpid()))  # this process is between trials: it left that one
    assert is_alive(trial(host=here, pid=os.getppid()))
    assert is_alive(trial(host="elsewhere", pid=1, heartbeat=beat.isoformat()))
    assert not is_alive(trial(host="elsewhere", pid=1, heartbeat=(beat - dt.timedelta(hours=1)).isoformat()))
