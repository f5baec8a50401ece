"""The command line defers the packages Keras imports only in case a user passes their objects
(`dlkit.core.backend.DEFERRED`): a command that needs none of them does not pay for them, and
dlkit's own later imports of them still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from dlkit.core.backend import DEFERRED

PROBE = """
import json, sys
from dlkit.core.backend import defer_optional_imports, keras
if sys.argv[1] == "defer":
    defer_optional_imports()
    defer_optional_imports()  # once only
k = keras()
loaded = sorted(name for name in {deferred} if name in sys.modules)
layer = k.layers.Dense(2)  # Keras works
import pandas, sklearn.metrics, scipy.sparse  # dlkit's own imports of them, after Keras's
frame_ok = pandas.DataFrame({{"a": [1]}}).shape == (1, 1)
print(json.dumps({{"loaded": loaded, "frame_ok": frame_ok, "finders": sum(
    type(f).__name__ == "_Deferred" for f in sys.meta_path)}}))
"""


def _probe(mode: str) -> dict:
    code = PROBE.format(deferred=repr(set(DEFERRED)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_keras_starts_without_the_deferred_packages_and_they_import_after():
    deferred = _probe("defer")
    assert deferred == {"loaded": [], "frame_ok": True, "finders": 1}


def test_without_deferring_keras_imports_them():
    """The baseline the deferral is measured against: Keras and TensorFlow import all four."""
    assert _probe("plain")["loaded"] == sorted(DEFERRED)
