"""What each installed Keras backend sees, for `dlkit doctor`: its version and its devices (the
GPUs above all). JAX and PyTorch are probed in processes of their own, started first and read
last, so they import while the doctor's other checks run and never beside TensorFlow's Keras in
its process (Keras holds one backend per process; PyTorch and TensorFlow in one process may also
disagree on their native libraries). TensorFlow is asked in the doctor's own process, which
imports it anyway."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

#: How long a backend's probe may take (its import, on a loaded machine, is most of it).
PROBE_SECONDS = 60

#: Python run by each probe: one line of JSON with the version, the devices and the GPUs among them.
PROBES = {
    "jax": """
import json, jax
devices = jax.devices()
print(json.dumps({
    "version": jax.__version__,
    "devices": [f"{d.platform}:{d.id} {d.device_kind}" for d in devices],
    "gpus": [f"{d.platform}:{d.id} {d.device_kind}" for d in devices if d.platform in ("gpu", "cuda", "rocm")],
}))
""",
    "torch": """
import json, torch
gpus = [f"cuda:{i} {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())]
build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
print(json.dumps({"version": torch.__version__, "devices": ["cpu", *gpus], "gpus": gpus, "build": build}))
""",
}


@dataclasses.dataclass
class Devices:
    """What one backend sees; `problem` says why it could not be asked (then the rest is empty)."""

    backend: str
    version: str = ""
    devices: list[str] = dataclasses.field(default_factory=list)
    gpus: list[str] = dataclasses.field(default_factory=list)
    build: str = ""
    problem: str | None = None

    def detail(self) -> str:
        if self.problem:
            return self.problem
        build = f" ({self.build})" if self.build else ""
        gpus = "" if self.gpus else "; no GPU seen"
        return f"{self.version}{build}: {', '.join(self.devices)}{gpus}"


def start_probes(backends=tuple(PROBES)) -> dict[str, subprocess.Popen | None]:
    """A probe process for each of `backends` (besides TensorFlow), None where it is not installed."""
    from dlkit.core.backend import installed

    return {name: _start(PROBES[name]) if installed(name) else None for name in backends}


def _start(code: str) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )


def read_probe(name: str, probe: subprocess.Popen | None) -> Devices:
    """The probe's answer, waiting for it at most PROBE_SECONDS."""
    if probe is None:
        return Devices(name, problem=f'not installed (pip install "dlkit[{name}]")')
    try:
        stdout, stderr = probe.communicate(timeout=PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        probe.kill()
        probe.communicate()
        return Devices(name, problem=f"no answer in {PROBE_SECONDS} s")
    try:
        return Devices(name, **json.loads(stdout.strip().splitlines()[-1]))
    except (IndexError, ValueError, TypeError):
        last = (stderr.strip().splitlines() or [f"exit status {probe.returncode}"])[-1]
        return Devices(name, problem=f"cannot be imported: {last}"[:200])


def tensorflow_devices(tf) -> Devices:
    """TensorFlow's physical devices (`tf.config.list_physical_devices`), GPUs by their name."""
    found, gpus = [], []
    for device in tf.config.list_physical_devices():
        name = device.name.removeprefix("/physical_device:")
        if device.device_type == "GPU":
            model = tf.config.experimental.get_device_details(device).get("device_name")
            name = f"{name} {model}" if model else name
            gpus.append(name)
        found.append(name)
    info = tf.sysconfig.get_build_info()
    build = f"CUDA {info.get('cuda_version')}" if info.get("is_cuda_build") else ""
    return Devices("tensorflow", tf.__version__, found, gpus, build)
