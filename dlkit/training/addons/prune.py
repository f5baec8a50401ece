"""`train.prune`: magnitude pruning of the layers' kernels during training, on the polynomial
schedule of Zhu & Gupta (2017), "To prune, or not to prune". Imports Keras: load it lazily.

Each pruned kernel gets a mask (a non-trainable variable outside the model) and a constraint on
its variable that multiplies it by the mask; Keras's optimizer applies variable constraints right
after every update inside the compiled train step, so pruned weights stay zero at every step. The
layers' own `kernel_constraint` is left alone, so `model.keras` holds plain layers. Masks are not
saved: a pruned weight is exactly zero after every step, so the checkpoint's kernels carry them
(a resumed run takes its masks from their zeros)."""

from __future__ import annotations

import gzip
from typing import Any

from dlkit.config.prune import PruneConfig
from dlkit.core.backend import keras
from dlkit.core.errors import ConfigError
from dlkit.core.registries import ADDONS
from dlkit.core.registry import snake_case
from dlkit.training.addons import Addon


def schedule(target: float, step: int, begin: int, end: int) -> float:
    """Zhu & Gupta's sparsity at `step`: 0 until `begin`, then s_f + (0 - s_f)(1 - (t - t0)/(n dt))^3
    up to `target` at `end`, and `target` after it."""
    if step <= begin:
        return 0.0
    progress = min((step - begin) / (end - begin), 1.0)
    return target * (1.0 - (1.0 - progress) ** 3)


def kernels(model, types: list[str], where: str = "train.prune.layers") -> list[tuple[str, Any]]:
    """(layer name, kernel variable) of every layer of `types` in `model` (nested models too); a
    type the model has no layer of, or whose layers have no kernel, is a ConfigError."""
    found, kinds = [], {}
    for layer in model._flatten_layers(include_self=False):
        kind = snake_case(type(layer).__name__)
        if kind in types:
            kernel = [(layer.name, w) for w in layer.weights if w.name == "kernel"]
            kinds[kind] = kinds.get(kind, False) or bool(kernel)
            found += kernel
    for i, kind in enumerate(types):
        if kind not in kinds:
            raise ConfigError(f"{where}.{i}: the model has no {kind} layer to prune")
        if not kinds[kind]:
            raise ConfigError(f"{where}.{i}: {kind} layers have no kernel to prune (dense, conv2d, ... have)")
    return found


def gzip_size(model) -> int:
    """Bytes of the model's weights (float32, in the model's order, concatenated) compressed with gzip."""
    import numpy as np

    ops = keras().ops
    data = b"".join(np.asarray(ops.convert_to_numpy(w), dtype="float32").tobytes() for w in model.weights)
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def report(model, config: PruneConfig, dense_gzip_bytes: int | None) -> dict:
    """metrics.json's `sparsity` (achieved, per pruned layer and overall) and `size` (the weights'
    float32 and gzip bytes, against the same model's weights gzipped while still dense)."""
    import numpy as np

    ops = keras().ops
    layers, zeros, total = {}, 0, 0
    for name, kernel in kernels(model, config.layers):
        values = ops.convert_to_numpy(kernel)
        layers[name] = round(float(np.mean(values == 0)), 6)
        zeros, total = zeros + int(np.sum(values == 0)), total + values.size
    size = {
        "float32_bytes": 4 * sum(int(np.prod(w.shape)) for w in model.weights),
        "gzip_bytes": gzip_size(model),
        "dense_gzip_bytes": dense_gzip_bytes,
    }
    sparsity = {"target": config.target_sparsity, "overall": round(zeros / total, 6), "layers": layers}
    return {"sparsity": sparsity, "size": size}


def report_run(model, config: PruneConfig, run_dir) -> dict:
    """`report` of a run's model, against the dense size its training recorded in metrics.json."""
    import json

    try:
        recorded = json.loads((run_dir / "metrics.json").read_text())["size"]["dense_gzip_bytes"]
    except (OSError, ValueError, KeyError, TypeError):
        recorded = None
    return report(model, config, recorded)


@ADDONS.register("prune")
class Prune(Addon):
    """`train.prune`: magnitude pruning of the kernels while training, reported in metrics.json."""

    section = ("train", "prune")

    def attach(self, session) -> None:
        self.pruning = pruning(session.model, self.config.train.prune, session.steps_per_epoch, session.steps_done)

    def callbacks(self) -> list:
        return [self.pruning]

    def best_from(self) -> int:
        """A pruned model is final only at its target: the epochs before `end_epoch` are never the best."""
        return self.config.train.prune.end_epoch - 1

    def report(self, model) -> dict:
        return report(model, self.config.train.prune, self.pruning.dense_gzip_bytes)


def pruning(model, config: PruneConfig, steps_per_epoch: int, done: int = 0):
    """The callback that prunes `model` on schedule; it sets the kernels' mask constraints at once
    (before Keras traces the train step). `done`: the training steps a resumed run has behind it.
    Steps are counted from the epoch and batch, not the optimizer's counter, which a new phase's
    optimizer (`train.phases`) starts again."""
    k = keras()
    begin, end = config.start_epoch * steps_per_epoch, config.end_epoch * steps_per_epoch
    targets = masked_kernels(model, config.layers)

    def passed(step: int) -> int:
        return pruning_steps(step, begin, end, config.frequency)

    class Pruning(k.callbacks.Callback):
        #: gzip bytes of the weights just before the first pruning step.
        dense_gzip_bytes = None
        #: What the checkpoints save of it (`dlkit/training/state.py`).
        saved_attributes = ("dense_gzip_bytes",)
        epoch = 0

        def on_train_begin(self, logs=None):
            # A resumed run: every pruning step up to the checkpoint was done; its zeros are the masks.
            self.last = done
            if self.last > begin:
                for kernel, mask in targets:
                    mask.assign((k.ops.convert_to_numpy(kernel) != 0).astype("float32"))

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            # With steps_per_execution, the last call of an epoch may number a batch past its end.
            step = self.epoch * steps_per_epoch + min(batch + 1, steps_per_epoch)
            # A pruning step passed since the last call (with steps_per_execution, calls come every few steps).
            due, self.last = passed(step) > passed(self.last), step
            if due:
                if self.dense_gzip_bytes is None:
                    self.dense_gzip_bytes = gzip_size(self.model)
                prune(targets, schedule(config.target_sparsity, min(step, end), begin, end))

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:  # history.csv's `sparsity`: the share of zeros over the pruned kernels
                logs["sparsity"] = zeros_share(targets)

    return Pruning()


def pruning_steps(step: int, begin: int, end: int, frequency: int) -> int:
    """How many pruning steps (begin, begin + frequency, ... before end, and end) are at or before `step`."""
    if step < begin:
        return 0
    return (min(step, end - 1) - begin) // frequency + 1 + (step >= end)


def masked_kernels(model, types: list[str]) -> list[tuple[Any, Any]]:
    """(kernel, mask) of every kernel to prune: the mask (all ones, a variable outside the model)
    becomes the kernel's constraint, after the kernel's own constraint if it had one."""
    import numpy as np

    k = keras()
    targets = []
    for _, kernel in kernels(model, types):
        mask = k.Variable(np.ones(kernel.shape, "float32"), trainable=False, name=f"{kernel.name}_mask")
        own = kernel.constraint

        def masked(w, mask=mask, own=own):
            return k.ops.multiply(own(w) if own is not None else w, mask)

        kernel.constraint = masked
        targets.append((kernel, mask))
    return targets


def prune(targets: list[tuple[Any, Any]], sparsity: float) -> None:
    """Zero the smallest `sparsity` share of each kernel (pruned weights, at zero, first) and its mask."""
    import numpy as np

    ops = keras().ops
    for kernel, mask in targets:
        values = ops.convert_to_numpy(kernel)
        n = round(sparsity * values.size)
        keep = np.ones(values.size, "float32")
        if n:
            keep[np.argpartition(np.abs(values).ravel(), n - 1)[:n]] = 0
        keep = keep.reshape(values.shape)
        mask.assign(keep)
        kernel.assign(values * keep)


def zeros_share(targets: list[tuple[Any, Any]]) -> float:
    """The share of zeros over the pruned kernels."""
    import numpy as np

    ops = keras().ops
    zeros = sum(int(np.sum(ops.convert_to_numpy(kernel) == 0)) for kernel, _ in targets)
    return zeros / sum(int(np.prod(kernel.shape)) for kernel, _ in targets)
