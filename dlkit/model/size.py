"""The model's size before anything is allocated: a model that would not fit in this machine's memory
(or is over `train.max_params`) is refused in one line naming the layer that holds most of it."""

from __future__ import annotations

import contextlib
import copy
import os
import random
from pathlib import Path

from dlkit.core.errors import ConfigError

#: Training holds the weights, their gradients and the optimizer's state (Adam: two slots per weight).
TRAINING_COPIES = 4


def check_model_size(config, sizes: dict[str, tuple[str, int, int]]) -> None:
    """Refuse the model if it is over `config.train.max_params` or would not train in the memory
    available. `sizes` are each layer's (type, parameters, bytes) by key path, as `layer_sizes`
    measures them without allocating anything."""
    if not sizes:
        return
    params = sum(n for _, n, _ in sizes.values())
    weight_bytes = sum(b for _, _, b in sizes.values())
    where, (kind, most, _) = max(sizes.items(), key=lambda item: item[1][1])
    holder = f"{where} ({kind}) holds {_count(most)} of the model's {_count(params)} parameters"
    limit = config.train.max_params
    if limit is not None and params > limit:
        raise ConfigError(f"{holder}, over train.max_params ({limit:,})")
    available = available_memory()
    if available is not None and weight_bytes * TRAINING_COPIES > available:
        raise ConfigError(
            f"{holder}: {_gb(weight_bytes)} of weights, about {_gb(weight_bytes * TRAINING_COPIES)} to train "
            f"(weights, gradients, optimizer state); this machine has {_gb(available)} available"
        )


@contextlib.contextmanager
def no_trace():
    """Keras's global state as it was before the probe: its layer-name counters (the real model's
    layers keep their names), its list of variables to initialize (the probe's must never be), and
    Python's random state (initializers draw their seeds from it)."""
    from keras.src.backend.common import global_state

    state = vars(global_state.GLOBAL_STATE_TRACKER)
    saved = {key: copy.copy(value) if isinstance(value, (list, dict)) else value for key, value in state.items()}
    rng = random.getstate()
    try:
        yield
    finally:
        state.clear()
        state.update(saved)
        random.setstate(rng)


def itemsize(dtype: str) -> int:
    """Bytes per value of a Keras dtype name (`float32` 4, `bfloat16` 2, `bool` 1)."""
    bits = "".join(c for c in str(dtype) if c.isdigit())
    return max(int(bits) // 8, 1) if bits else 1


def available_memory() -> int | None:
    """Bytes this process can still use: the kernel's MemAvailable, or less under a cgroup limit."""
    found = []
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    if not found:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    with contextlib.suppress(OSError, ValueError):
        cgroup = Path("/sys/fs/cgroup")
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int((cgroup / "memory.current").read_text()))
    return min(found) if found else None


def _count(n: int) -> str:
    """`12,800,000,000`; past a quadrillion `1.3e+18` (a typo's count stays short)."""
    return f"{n:,}" if n < 10**15 else f"{n:.1e}"


def _gb(n: int) -> str:
    return f"{n / 1e9:,.1f} GB" if n < 10**15 else f"{n / 1e9:.1e} GB"
