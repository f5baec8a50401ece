"""What the distribute and multiworker tests compare: the run folder of a result, weights, tolerances."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conftest import TINY

#: Digits with test 0.25: 1,212 training examples, 18 batches of 64 and a last one of 60, so every
#: batch halves evenly between the 2 replicas (an odd batch would weigh its two unequal halves'
#: mean losses equally: a real, if small, difference from one device).
EVEN = {**TINY, "data": {**TINY["data"], "split": {"validation": 0.1, "test": 0.25}}}

#: Float32 sums in another order: each replica sums its half of the batch's gradients and the
#: all-reduce adds the two halves, where one device sums the whole batch at once. Measured: at
#: most 2e-7 apart after 2 epochs (38 Adam steps) on weights of size ~0.5; 1e-5 leaves room for
#: another CPU's kernels while any real difference (an uneven batch, a rescaled learning rate,
#: a replica missing updates) shows at 1e-3 or more.
ATOL = 1e-5


def _run_dir(stdout: str) -> Path:
    return Path(stdout.strip().splitlines()[-1])


def _weights(path: Path) -> list[tuple[str, np.ndarray]]:
    """(path, value) of every weight in the model's order (the paths' layer numbers depend on what
    the process built before, so tensors pair by position)."""
    import keras

    model = keras.saving.load_model(path, safe_mode=True)
    return [(v.path, v.numpy()) for v in model.weights]
