"""`dlkit doctor`'s devices: each backend asked in a process of its own, its answer read back;
an uninstalled backend, one that cannot be imported and one that does not answer say so."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from dlkit.commands import devices
from dlkit.commands.devices import Devices, read_probe, start_probes


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_an_uninstalled_backend_is_named_with_its_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert start_probes(("torch",)) == {"torch": None}
    assert read_probe("torch", None).detail() == 'not installed (pip install "dlkit[torch]")'


def test_a_backend_that_cannot_be_imported_or_does_not_answer_says_so(monkeypatch):
    broken = read_probe("jax", _python("import no_such_backend"))
    assert broken.detail() == "cannot be imported: ModuleNotFoundError: No module named 'no_such_backend'"
    monkeypatch.setattr(devices, "PROBE_SECONDS", 0.5)
    assert read_probe("torch", _python("import time; time.sleep(30)")).detail() == "no answer in 0.5 s"


def test_an_answer_is_read_from_its_last_line():
    answer = '{"version": "9.1", "devices": ["cpu", "cuda:0 H100"], "gpus": ["cuda:0 H100"], "build": "CUDA 13.0"}'
    found = read_probe("torch", _python(f"print('a warning'); print({answer!r})"))
    assert found == Devices("torch", "9.1", ["cpu", "cuda:0 H100"], ["cuda:0 H100"], "CUDA 13.0")
    assert found.detail() == "9.1 (CUDA 13.0): cpu, cuda:0 H100"


def test_tensorflow_is_asked_in_this_process():
    import tensorflow as tf

    found = devices.tensorflow_devices(tf)
    assert found.version == tf.__version__ and "CPU:0" in found.devices
    assert found.gpus == [d for d in found.devices if d.startswith("GPU:")]
