"""A config with wrapped layers."""

from conftest import TINY

WRAPPED = {**TINY, "model": {"layers": [
    {"type": "reshape", "target_shape": [8, 8]},
    {"type": "bidirectional", "layer": {"type": "lstm", "units": 4, "return_sequences": True}},
    {"type": "time_distributed", "layer": {"type": "dense", "units": 3}},
    "flatten",
    {"type": "dense", "units": 10, "activation": "softmax"},
]}}  # fmt: skip
