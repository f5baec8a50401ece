"""`train.distribute:` data-parallel training over this machine's devices with tf.distribute."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import PositiveInt, field_validator, model_validator

from dlkit.core.strict import Strict

#: A local device as TensorFlow names it: `GPU:0`, `/gpu:1`, `/device:CPU:1` (any case).
DEVICE_NAME = re.compile(r"^(?:/device:|/)?(cpu|gpu):(\d+)$", re.IGNORECASE)


def device_name(name: str) -> str:
    """The canonical form (`GPU:1`) of a device name, or a ValueError naming the accepted forms."""
    match = DEVICE_NAME.match(name.strip())
    if not match:
        raise ValueError(f"{name!r} is not a local device name; write GPU:0, GPU:1, ... (or CPU:0, CPU:1, ...)")
    return f"{match[1].upper()}:{int(match[2])}"


class DistributeConfig(Strict):
    """Train one model on several devices of this machine at once (`tf.distribute.MirroredStrategy`):
    each device takes an equal share of every batch, the gradients are summed across them
    (all-reduce) and every device applies the same update, so the result is that of one device
    training on the whole batch. Keras then runs one batch per call (`train.steps_per_execution`
    1): its loop of several batches per call fails under MirroredStrategy in Keras 3.15."""

    strategy: Literal["mirrored", "multi_worker"] = "mirrored"
    """`mirrored`: one copy of the model per local device, kept identical. `multi_worker`: one
    copy per process of a cluster (`tf.distribute.MultiWorkerMirroredStrategy`), the processes
    started by `dlkit train --local-workers N` on this machine, or one per machine with
    `--cluster`/`--task-index` or `TF_CONFIG` (docs/distributed.md); dlkit's own training loop."""
    devices: PositiveInt | list[str] | None = None
    """How many devices (the first N GPUs; on a machine without GPUs, N logical CPU devices, at
    most one per core this process may use) or which (`[GPU:0, GPU:2]`). Default: every GPU, or
    without GPUs one logical CPU device per core."""
    scale_lr: Literal["none", "linear"] = "none"
    """`data.batch_size` is the global batch, shared among the devices, so the learning rate that
    suits it is unchanged (`none`). `linear` multiplies the learning rate by the number of devices
    (Goyal et al. 2017), for when the batch size was multiplied by them too."""

    @field_validator("devices", mode="before")
    @classmethod
    def _devices(cls, devices):
        """One message for a bad value, rather than one per shape the field takes."""
        if devices is None:
            return None
        if isinstance(devices, int) and not isinstance(devices, bool):
            if devices < 1:
                raise ValueError("must be 1 or more devices, or a list of their names (GPU:0, ...)")
            return devices
        if not isinstance(devices, list) or not devices:
            raise ValueError("a number of devices or a list of their names (GPU:0, ...)")
        names = [device_name(str(name)) for name in devices]
        if len(set(names)) < len(names):
            raise ValueError(f"a device is named twice: {', '.join(names)}")
        if len({name.split(":")[0] for name in names}) > 1:
            raise ValueError(f"all GPUs or all CPUs, not both (the slowest device would set the pace): {names}")
        return names

    @model_validator(mode="after")
    def _devices_are_mirrored(self) -> DistributeConfig:
        if self.strategy == "multi_worker" and self.devices is not None:
            raise ValueError("devices goes with strategy: mirrored; a multi_worker run has one replica per worker")
        return self


#: `train.` keys dlkit's multi-worker loop does not run (it has Keras's train step, the callbacks,
#: checkpoints and resume; these each change the step or the loop in ways of their own).
NOT_MULTI_WORKER = ("phases", "prune", "distill", "adversarial", "class_weight", "checkpoint_every")


def unsupported_by_multi_worker(train) -> None:
    """A ValueError naming the first `train.` key a multi-worker run cannot have."""
    for key in NOT_MULTI_WORKER:
        if getattr(train, key, None) is not None:
            raise ValueError(
                f"train.{key} is not supported with train.distribute.strategy: multi_worker "
                "(its own training loop); remove it or use strategy: mirrored"
            )
