"""Run a Python program as `python` would (a script, or `-m module`), then write the peak GPU memory
its Keras backend's allocator held to RESULT (JSON), however the program ends. benchmarks/gpu.py
runs both sides through it, so the plain script and dlkit are measured the same way:
  torch  torch.cuda.max_memory_allocated() (PyTorch's caching allocator, tensors only);
  jax    max over the local devices of Device.memory_stats()["peak_bytes_in_use"] (XLA's allocator:
         buffers in use, not the pool XLA preallocates).
{"peak_bytes": null} on a CPU.

    python benchmarks/gpu_probe.py RESULT.json benchmarks/gpu_plain.py ARGS...
    python benchmarks/gpu_probe.py RESULT.json -m dlkit train CONFIG ...
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path


def peak_gpu_memory() -> dict:
    """{"peak_bytes", "how"} of the backend Keras ran on in this process (nulls on a CPU)."""
    keras = sys.modules.get("keras")
    backend = keras.config.backend() if keras is not None and hasattr(keras, "config") else None
    if backend == "torch":
        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            return {"peak_bytes": torch.cuda.max_memory_allocated(), "how": "torch.cuda.max_memory_allocated"}
    elif backend == "jax":
        import jax

        peaks = [(d.memory_stats() or {}).get("peak_bytes_in_use") for d in jax.local_devices()]
        peaks = [p for p in peaks if p is not None]
        if peaks:
            return {"peak_bytes": max(peaks), "how": "jax Device.memory_stats() peak_bytes_in_use"}
    return {"peak_bytes": None, "how": None}


def main() -> None:
    if len(sys.argv) < 3 or (sys.argv[2] == "-m" and len(sys.argv) < 4):
        sys.exit("usage: gpu_probe.py RESULT.json (SCRIPT | -m MODULE) [ARGS...]")
    result = Path(sys.argv[1])
    try:
        if sys.argv[2] == "-m":
            module = sys.argv[3]
            sys.argv = [module, *sys.argv[4:]]
            sys.path[0] = os.getcwd()  # as `python -m` has it, not this file's folder
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            script = sys.argv[2]
            sys.argv = sys.argv[2:]
            sys.path[0] = str(Path(script).resolve().parent)
            runpy.run_path(script, run_name="__main__")
    finally:  # before the interpreter's exit handlers, which may close the backend's devices
        result.write_text(json.dumps(peak_gpu_memory()))


if __name__ == "__main__":
    main()
