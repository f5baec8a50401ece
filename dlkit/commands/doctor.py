"""`dlkit doctor`: what this installation has (versions, extras, CPU features, GPUs, the Keras
cache and the datasets in it), whether runs can be written, and a short fit that proves training
works. Each check says what to fix when something is wrong."""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: How long the smoke fit trains, in seconds, after its first epochs (which include tracing the graph).
SMOKE_SECONDS = 2.0
SMOKE_MIN_EPOCHS = 3
#: CPU features TensorFlow's kernels (Eigen, oneDNN) run faster with, as /proc/cpuinfo names them.
CPU_FEATURES = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


@dataclasses.dataclass
class Check:
    name: str
    detail: str
    fix: str | None = None
    """What to do: set only when the check failed."""


def run_checks(runs_dir: Path) -> Iterator[Check]:
    """Every check in turn; those needing Keras are skipped when it cannot be imported on the
    backend dlkit would use. Each backend's devices come last: JAX and PyTorch are asked in
    processes of their own (`dlkit.commands.devices`) while the other checks run."""
    from dlkit.commands.devices import read_probe, start_probes
    from dlkit.core.version import __version__

    wanted = _wanted()  # before TensorFlow's import sets KERAS_BACKEND
    probes = start_probes()
    yield Check("dlkit", __version__)
    yield Check("Python", f"{platform.python_version()} ({platform.python_implementation()})")
    yield Check("extras", _extras())
    yield (backend := _backend(*wanted))
    tf, devices = _tensorflow(backend)
    if tf is not None:
        yield tf
    keras = _keras() if backend.fix is None and (tf is None or tf.fix is None) else None
    if keras is not None:
        yield keras
        yield Check("CPU features", _cpu())
    yield from _keras_cache()
    yield _writable_runs(runs_dir)
    if keras is not None and keras.fix is None:
        yield _smoke_fit()
    devices |= {name: read_probe(name, probe) for name, probe in probes.items()}
    yield from (Check(f"devices: {name}", found.detail()) for name, found in devices.items())
    yield _gpus(wanted[0], devices)


def _wanted() -> tuple[str, str]:
    """The backend a command would use where neither --backend nor a config says, and why."""
    from dlkit.core.backend import BACKENDS, default_backend
    from dlkit.core.errors import UsageError

    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "from KERAS_BACKEND"
    try:
        name = default_backend()
    except UsageError:  # none installed: `_backend` says what installs one
        return next(iter(BACKENDS)), "the default, and no backend is installed"
    return name, "the default, the first installed; --backend, a config's backend: or KERAS_BACKEND choose another"


def _tensorflow(backend: Check) -> tuple[Check | None, dict]:
    """TensorFlow's version and devices, where it is installed (it is optional beside JAX or
    PyTorch: dlkit's tf.data pipelines, text, SavedModel/LiteRT export and attack need it); its
    row and {"tensorflow": devices}. Not imported when the backend check failed: it imports
    Keras, on that backend."""
    from dlkit.commands.devices import tensorflow_devices
    from dlkit.core.backend import TENSORFLOW_EXTRA, has_tensorflow, quiet_tensorflow

    if not has_tensorflow():
        need = (
            "" if backend.fix else "; optional beside this backend: text, SavedModel/LiteRT export and attack need it"
        )
        return Check("TensorFlow", f"not installed{need} ({TENSORFLOW_EXTRA})"), {}
    if backend.fix is not None:
        return None, {}
    try:
        with quiet_tensorflow():  # its start-up lines (CUDA not found, ...) are what the rows below say
            import tensorflow as tf

            return Check("TensorFlow", tf.__version__), {"tensorflow": tensorflow_devices(tf)}
    except Exception as e:  # a broken install raises anything from ImportError to a native loader error
        return Check("TensorFlow", f"cannot be imported: {type(e).__name__}: {e}"[:200], TENSORFLOW_EXTRA), {}


def _backend(name: str, why: str) -> Check:
    """The backend dlkit would use and its version; a fix where it is no backend or not installed."""
    from dlkit.core.backend import BACKENDS, installed

    if name not in BACKENDS:
        fix = f"set KERAS_BACKEND to one of {', '.join(BACKENDS)}, or unset it (docs/backends.md)"
        return Check("backend", f"{name!r} ({why}) is no backend dlkit runs on", fix)
    if not installed(name):
        return Check("backend", f"{name} ({why}) is not installed", f'pip install "dlkit[{name}]"')
    from importlib import metadata

    return Check("backend", f"{name} {metadata.version(name)} ({why})")


def _gpus(name: str, devices: dict) -> Check:
    """The GPUs the backend dlkit would use sees."""
    found = devices.get(name)
    if found is None or found.problem:
        return Check("GPUs", f"not known: {name} cannot be asked")
    return Check("GPUs", ", ".join(found.gpus) if found.gpus else f"none: training on {name} runs on the CPU")


def _extras() -> str:
    """Each optional extra of dlkit and whether its packages are installed."""
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        dist = metadata.distribution("dlkit")
    except metadata.PackageNotFoundError:
        return "dlkit is not installed as a package (run from source): extras unknown"
    needs: dict[str, list[str]] = {}
    for line in dist.requires or []:
        requirement = Requirement(line)
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", str(requirement.marker or ""))
        if extra and extra[1] != "dev" and requirement.name != "dlkit":
            needs.setdefault(extra[1], []).append(requirement.name)
    shown = []
    for extra, names in needs.items():
        missing = [name for name in names if not _installed(name)]
        shown.append(f"{extra} (missing {', '.join(missing)})" if missing else f"{extra} installed")
    return "; ".join(shown) or "none declared"


def _installed(name: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _keras() -> Check:
    """Keras on the backend dlkit would use, as the smoke fit trains on it."""
    from dlkit.core.backend import keras

    try:
        k = keras()
    except Exception as e:  # a broken backend raises anything from ImportError to a native loader error
        return Check("Keras", f"cannot be imported: {type(e).__name__}: {e}"[:200], "reinstall the backend's package")
    return Check("Keras", f"{k.__version__} on {k.config.backend()}")


def _cpu() -> str:
    """The CPU, the features of it TensorFlow's kernels use, and whether oneDNN (which picks the
    widest of them at run time) is on."""
    try:
        flags = set(re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M)[1].split())
    except (OSError, TypeError):
        flags = None
    found = "not listed on this system" if flags is None else " ".join(f for f in CPU_FEATURES if f in flags) or "none"
    cpu = f"{platform.machine()}, {os.cpu_count()} cores: {found}"
    from dlkit.core.backend import has_tensorflow

    if not has_tensorflow():
        return cpu
    from tensorflow.python.util import _pywrap_util_port

    return f"{cpu}; TensorFlow's oneDNN {'on' if _pywrap_util_port.IsMklEnabled() else 'off'}"


def _keras_cache() -> Iterator[Check]:
    from dlkit.core.registries import DATASETS
    from dlkit.data.keras_datasets import KerasDataset, keras_cache

    home = keras_cache().parent
    where = f"KERAS_HOME={home}" if "KERAS_HOME" in os.environ else str(home)
    if home.exists() and not home.is_dir():
        yield Check("Keras cache", f"{where} is a file", "point KERAS_HOME at a folder (or unset it)")
        return
    problem = _unwritable(home)
    if problem:
        yield Check("Keras cache", f"{where}: {problem}", "make it writable, or set KERAS_HOME to a writable folder")
        return
    present = []
    for name in DATASETS.names():
        spec = DATASETS.get(name)
        if isinstance(spec, type) and issubclass(spec, KerasDataset) and spec.cached and spec().in_cache():
            present.append(name)
    yield Check("Keras cache", where)
    yield Check("cached datasets", ", ".join(present) or "none (mnist, cifar10, ... download on first use)")


def _writable_runs(runs_dir: Path) -> Check:
    problem = "a file, not a folder" if runs_dir.is_file() else _unwritable(runs_dir)
    if problem:
        return Check("runs folder", f"{runs_dir}: {problem}", "make it a writable folder, or give --runs-dir DIR")
    return Check("runs folder", f"{runs_dir.absolute()} writable")


def _unwritable(folder: Path) -> str | None:
    """Why a file cannot be made in `folder` (or, if it does not exist yet, in the nearest folder
    above it, where it would be made); None if one can. A real file is made and removed: as root,
    permission bits say nothing."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        return f"cannot write in {existing} ({e.strerror})"
    return None


def _smoke_fit() -> Check:
    """A small MLP fitted on generated data for SMOKE_SECONDS: the loss must fall and stay finite."""
    import numpy as np

    from dlkit.core.backend import keras

    k = keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 16)).astype("float32")
    y = (x @ rng.normal(size=16) > 0).astype("float32")
    start = time.perf_counter()

    class StopInTime(k.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch + 1 >= SMOKE_MIN_EPOCHS and time.perf_counter() - start > SMOKE_SECONDS

    try:
        k.utils.set_random_seed(0)
        model = k.Sequential([k.Input((16,)), k.layers.Dense(32, activation="relu"), k.layers.Dense(1, "sigmoid")])
        model.compile(optimizer=k.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=64, epochs=1000, verbose=0, callbacks=[StopInTime()]).history
    except Exception as e:  # whatever breaks here is what the user must see
        return Check(
            "smoke fit",
            f"failed: {type(e).__name__}: {e}"[:200],
            "reinstall the backend's package, or report the error",
        )
    loss, seconds = history["loss"], time.perf_counter() - start
    detail = (
        f"{len(loss)} epochs of 512 examples in {seconds:.1f} s: loss {loss[0]:.3f} -> {loss[-1]:.3f}, "
        f"accuracy {history['accuracy'][-1]:.2f}"
    )
    if not np.isfinite(loss[-1]) or loss[-1] >= loss[0]:
        return Check(
            "smoke fit", detail, "training does not learn here: reinstall the backend's package, or report this"
        )
    return Check("smoke fit", detail)
