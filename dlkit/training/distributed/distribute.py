"""`train.distribute`: the `tf.distribute.MirroredStrategy` a run is built and trained under. On a
machine without GPUs the replicas are logical CPU devices, which TensorFlow can only make before
it starts its devices (before any op runs): the session asks for them first of all."""

from __future__ import annotations

import contextlib
import os

from dlkit.config.distribute import DistributeConfig
from dlkit.core.backend import keras, quiet_tensorflow
from dlkit.core.errors import ConfigError, UsageError

WHERE = "train.distribute.devices"


def usable_cores() -> int:
    """The cores this process may run on: the most logical CPU devices worth making, as each
    replica needs a core of its own to run beside the others."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_devices(spec: DistributeConfig) -> list[str]:
    """The devices to mirror the model on (`/device:GPU:0`, ...), checked against this machine; on
    a machine without GPUs, the logical CPU devices are made here. Imports TensorFlow."""
    keras()
    import tensorflow as tf

    gpus = len(tf.config.list_physical_devices("GPU"))
    devices = spec.devices
    if isinstance(devices, list):
        kind, indices = devices[0].split(":")[0], [int(name.split(":")[1]) for name in devices]
    else:
        kind = "GPU" if gpus else "CPU"
        indices = list(range(devices or gpus or usable_cores()))
    if kind == "GPU":
        limit, have = gpus, f"this machine has {gpus} GPU{'s' * (gpus != 1)}"
    else:
        limit = usable_cores()
        have = (
            f"this process may use {limit} CPU core{'s' * (limit != 1)}, and dlkit makes at most one "
            "logical CPU device per core (more would only share the cores)"
        )
    if max(indices) >= limit:
        asked = f"{kind}:{max(indices)}" if isinstance(devices, list) else f"{len(indices)} devices"
        raise ConfigError(f"{WHERE}: asks for {asked}, but {have}; {_fewer(devices, limit, kind)}")
    if kind == "CPU":
        _make_cpu_devices(max(indices) + 1)
    return [f"/device:{kind}:{i}" for i in indices]


def _fewer(devices, count: int, kind: str) -> str:
    if not count:
        return "remove train.distribute or run on a machine with GPUs"
    if isinstance(devices, list):
        return f"name {kind}:0 to {kind}:{count - 1}" if count > 1 else f"name {kind}:0"
    return f"set devices: {count} or fewer"


def _make_cpu_devices(count: int) -> None:
    """Split the CPU into `count` logical devices, before TensorFlow starts its devices; if it has
    started already (another training in this process), the devices it made must do."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:  # already started
        made = len(tf.config.list_logical_devices("CPU"))
        if made < count:
            raise UsageError(
                f"{WHERE}: TensorFlow already started in this process with {made} CPU device(s), and the "
                f"{count} logical CPU devices must be made before it starts; run `dlkit train` in a process of its own"
            ) from None


def distribute_of(config) -> DistributeConfig | None:
    """`train.distribute`; None: one device (a task whose `train:` has no such key, a GAN's, too)."""
    return getattr(config.train, "distribute", None)


def multi_worker(config) -> bool:
    """Whether `config` trains on a cluster of workers (`train.distribute.strategy: multi_worker`)."""
    spec = distribute_of(config)
    return spec is not None and spec.strategy == "multi_worker"


def strategy_of(config):
    """The strategy to build and train `config`'s model under (None: the default, one device)."""
    spec = distribute_of(config)
    if spec is None:
        return None
    if spec.strategy == "multi_worker":
        return worker_strategy()
    keras()
    import tensorflow as tf

    with quiet_tensorflow():  # finding the devices wakes CUDA, which talks on fd 2
        devices = tuple(local_devices(spec))
    if devices not in _STRATEGIES:
        _STRATEGIES[devices] = tf.distribute.MirroredStrategy(list(devices))
    return _STRATEGIES[devices]


#: One strategy per device set for the whole process: each numbers its all-reduces from the same
#: start, and TensorFlow remembers a number's tensor shape, so a second strategy on the same devices
#: training another model (the next `dlkit tune` trial) would fail on a shape mismatch.
_STRATEGIES: dict[tuple[str, ...] | str, object] = {}


def scope(strategy):
    """`strategy.scope()`, or nothing without one: the model, its preprocessing statistics and its
    optimizer must be made inside it to be mirrored."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def scaled(optimizer, config, strategy):
    """The optimizer config with its learning rate times the replicas under `scale_lr: linear`."""
    spec = distribute_of(config)
    if spec is None or spec.scale_lr != "linear" or strategy is None:
        return optimizer
    return optimizer.model_copy(update={"learning_rate": optimizer.learning_rate * strategy.num_replicas_in_sync})


#: Seconds a collective (an all-reduce) may wait for the other workers before the run fails,
#: rather than hang for ever on a worker that died or never came.
COLLECTIVE_TIMEOUT = float(os.environ.get("DLKIT_COLLECTIVE_TIMEOUT", "120"))


def worker_strategy():
    """The process's MultiWorkerMirroredStrategy over the cluster of `TF_CONFIG`, made once (it
    must be made before TensorFlow runs any op)."""
    if "multi_worker" not in _STRATEGIES:
        if "TF_CONFIG" not in os.environ:
            raise UsageError(
                "train.distribute.strategy: multi_worker needs a cluster: dlkit train CONFIG --local-workers N, "
                "or --cluster host:port,... --task-index I, or TF_CONFIG set (docs/distributed.md)"
            )
        keras()
        import tensorflow as tf

        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=COLLECTIVE_TIMEOUT)
        _STRATEGIES["multi_worker"] = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        if os.environ.get("DLKIT_JOINED"):  # the cluster gathered: tell `--cluster`'s watchdog
            open(os.environ["DLKIT_JOINED"], "w").close()
    return _STRATEGIES["multi_worker"]
