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
    """Every check in turn; those needing TensorFlow are skipped when it cannot be imported."""
    from dlkit.core.version import __version__

    yield Check("dlkit", __version__)
    yield Check("Python", f"{platform.python_version()} ({platform.python_implementation()})")
    yield Check("extras", _extras())
    from dlkit.core.backend import quiet_tensorflow

    try:
        with quiet_tensorflow():  # its start-up lines (CUDA not found, ...) are what the rows below say
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
    except Exception as e:  # a broken install raises anything from ImportError to a native loader error
        yield Check("TensorFlow", f"cannot be imported: {type(e).__name__}: {e}"[:200], "pip install 'dlkit' again")
        tf = None
    if tf is not None:
        yield Check("TensorFlow", tf.__version__)
        yield _keras()
        yield Check("CPU features", _cpu())
        yield Check("GPUs", ", ".join(g.name for g in gpus) if gpus else "none: training runs on the CPU")
    yield from _keras_cache()
    yield _writable_runs(runs_dir)
    if tf is not None:
        yield _smoke_fit()


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
    import keras

    from dlkit.core.backend import BACKENDS, backend_versions

    backend = keras.backend.backend()
    if backend not in BACKENDS:
        fix = f"set KERAS_BACKEND to one of {', '.join(BACKENDS)}, or unset it (docs/backends.md)"
        return Check("Keras", f"{keras.__version__}, backend {backend}", fix)
    version = "".join(f" {v}" for v in backend_versions(backend).values())
    return Check("Keras", f"{keras.__version__}, backend {backend}{version}")


def _cpu() -> str:
    """The CPU, the features of it TensorFlow's kernels use, and whether oneDNN (which picks the
    widest of them at run time) is on."""
    try:
        flags = set(re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M)[1].split())
    except (OSError, TypeError):
        flags = None
    found = "not listed on this system" if flags is None else " ".join(f for f in CPU_FEATURES if f in flags) or "none"
    from tensorflow.python.util import _pywrap_util_port

    onednn = "on" if _pywrap_util_port.IsMklEnabled() else "off"
    return f"{platform.machine()}, {os.cpu_count()} cores: {found}; oneDNN {onednn}"


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
        return Check("smoke fit", f"failed: {type(e).__name__}: {e}"[:200], "reinstall TensorFlow, or report the error")
    loss, seconds = history["loss"], time.perf_counter() - start
    detail = (
        f"{len(loss)} epochs of 512 examples in {seconds:.1f} s: loss {loss[0]:.3f} -> {loss[-1]:.3f}, "
        f"accuracy {history['accuracy'][-1]:.2f}"
    )
    if not np.isfinite(loss[-1]) or loss[-1] >= loss[0]:
        return Check("smoke fit", detail, "training does not learn here: reinstall TensorFlow, or report this")
    return Check("smoke fit", detail)
