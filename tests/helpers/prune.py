"""A pruned config and its variations."""

from conftest import TINY

#: Digits through a small CNN; 36 batches of 32 per epoch, pruned over epochs 2-3 to 80% zeros.
PRUNED = {
    **TINY,
    "name": "pruned",
    "data": {**TINY["data"], "batch_size": 32},
    "model": {
        "layers": [
            {"type": "conv2d", "filters": 16, "kernel_size": 3, "activation": "relu"},
            "flatten",
            {"type": "dense", "units": 32, "activation": "relu"},
            {"type": "dense", "units": 10, "activation": "softmax"},
        ]
    },
    "train": {
        "epochs": 4,
        "optimizer": {"type": "adam", "learning_rate": 0.005},
        "prune": {"target_sparsity": 0.8, "start_epoch": 1, "end_epoch": 3, "frequency": 10},
    },
}


def _with(**prune) -> dict:
    return {**PRUNED, "train": {**PRUNED["train"], "prune": {**PRUNED["train"]["prune"], **prune}}}
