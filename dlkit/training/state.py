"""What resume needs beyond the weights and optimizer state Keras saves in a `.keras` file: the
finished epoch count (and within an epoch, the batches done and the running loss and metrics),
the callbacks' state, the random generators of dropout and augmentation layers (and PyTorch's
global one), and what the run was trained on. It travels inside the checkpoint's zip, so a
checkpoint and its state are written (renamed into place) together and can never disagree."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

STATE_FILE = "dlkit_state.json"
BEST_WEIGHTS_FILE = "dlkit_early_stopping.npz"

#: The attributes that make up each stateful callback's memory between epochs; a callback may
#: also name its own (an add-on's: `saved_attributes`).
CALLBACK_STATE = {
    "EarlyStopping": ("wait", "best", "best_epoch", "stopped_epoch"),
    "ReduceLROnPlateau": ("wait", "best", "cooldown_counter"),
    "Checkpoint": ("best", "best_epoch"),
    "LogLearningRate": ("epoch", "rate"),
}


#: The array holding PyTorch's global random generator's state, beside the callbacks' arrays.
TORCH_RNG = "torch_rng_state"


def _torch_generator():
    """PyTorch's global random generator on the PyTorch backend (None on the others): Keras draws
    an unseeded dropout layer's masks from it, not from the layer's SeedGenerator."""
    import sys

    keras = sys.modules.get("keras")
    if keras is None or keras.config.backend() != "torch":
        return None
    import torch

    return torch.default_generator


def _plain(value: Any) -> Any:
    """numpy scalars to Python numbers, for JSON."""
    return value.item() if hasattr(value, "item") else value


def seed_states(model) -> list:
    """The state variables of the model's random generators (dropout masks, augmentation draws),
    in the model's variable order. Keras does not restore them when loading a model."""
    return [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]


def metric_values(model) -> list:
    """The running totals of the epoch's loss and metrics, in the model's metric variable order."""
    return [v.numpy().tolist() for v in model.metrics_variables]


def restore_metrics(model, values: list) -> None:
    """Put running totals back (after Keras's reset at the epoch's start), so an epoch resumed
    inside reports the means over all its batches."""
    import numpy as np

    for variable, value in zip(model.metrics_variables, values, strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))


def capture(model, callbacks, **fields: Any) -> tuple[dict, dict]:
    """The state to store beside the weights, and arrays (early stopping's best weights) to add."""
    callback_state, arrays = {}, {}
    for i, callback in enumerate(callbacks):
        names = CALLBACK_STATE.get(type(callback).__name__) or getattr(callback, "saved_attributes", ())
        if names:
            callback_state[str(i)] = {n: _plain(getattr(callback, n, None)) for n in names}
        if getattr(callback, "best_weights", None) is not None:
            arrays |= {f"{i}_{j}": w for j, w in enumerate(callback.best_weights)}
    if (generator := _torch_generator()) is not None:
        arrays[TORCH_RNG] = generator.get_state().numpy()
    state = {
        **fields,
        "callbacks": callback_state,
        "seed_states": [v.numpy().tolist() for v in seed_states(model)],
    }
    return state, arrays


def embed(path: Path, state: dict, arrays: dict) -> None:
    """Add the state (and arrays) to the `.keras` zip at `path`, before it is renamed into place."""
    import numpy as np

    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(STATE_FILE, json.dumps(state))
        if arrays:
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            archive.writestr(BEST_WEIGHTS_FILE, buffer.getvalue())


def read(path: Path) -> dict | None:
    """The state stored in a checkpoint, or None for a file without one."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(STATE_FILE))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None


def restore(path: Path, state: dict, model, callbacks) -> None:
    """Put the stored random-generator and callback state back (after the callbacks' own
    `on_train_begin` resets)."""
    import numpy as np

    for variable, value in zip(seed_states(model), state["seed_states"], strict=True):
        variable.assign(np.asarray(value, dtype=variable.dtype))
    with zipfile.ZipFile(path) as archive:
        saved = archive.read(BEST_WEIGHTS_FILE) if BEST_WEIGHTS_FILE in archive.namelist() else None
    arrays = dict(np.load(io.BytesIO(saved))) if saved else {}
    for i, callback in enumerate(callbacks):
        for name, value in state["callbacks"].get(str(i), {}).items():
            setattr(callback, name, value)
        weights = sorted((k for k in arrays if k.startswith(f"{i}_")), key=lambda k: int(k.split("_")[1]))
        if weights:
            callback.best_weights = [arrays[k] for k in weights]


def restore_torch_rng(path: Path) -> None:
    """Put PyTorch's global random generator back as the checkpoint at `path` stored it (on the
    PyTorch backend): as its first epoch begins, after `fit` built what it builds."""
    import numpy as np

    if _torch_generator() is None:
        return
    import torch

    with zipfile.ZipFile(path) as archive:
        if BEST_WEIGHTS_FILE in archive.namelist():
            arrays = np.load(io.BytesIO(archive.read(BEST_WEIGHTS_FILE)))
            if TORCH_RNG in arrays:
                _torch_generator().set_state(torch.from_numpy(arrays[TORCH_RNG]))
