"""Layers from YAML entries: each builds, has its output shape, saves and reloads in safe mode; graph
models written in YAML."""

import json

import pytest

from conftest import TINY, write_config
from helpers.layers import RESIDUAL, run_layer_test

LAYER_CASES = [
    ({"type": "dense", "units": 4, "activation": "relu"}, (3,), (4,)),
    ({"type": "Conv2D", "filters": 2, "kernel_size": 3}, (8, 8, 1), (6, 6, 2)),
    ({"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "strides": 2}, (8, 8, 1), (4, 4, 2)),
    ({"type": "conv1d", "filters": 3, "kernel_size": 2}, (6, 2), (5, 3)),
    ({"type": "conv2d_transpose", "filters": 2, "kernel_size": 2, "strides": 2}, (4, 4, 1), (8, 8, 2)),
    ({"type": "separable_conv2d", "filters": 2, "kernel_size": 3}, (6, 6, 2), (4, 4, 2)),
    ({"type": "depthwise_conv2d", "kernel_size": 3}, (6, 6, 2), (4, 4, 2)),
    ({"type": "max_pooling2d", "pool_size": 2}, (8, 8, 3), (4, 4, 3)),
    ({"type": "MaxPool2D"}, (8, 8, 3), (4, 4, 3)),
    ({"type": "average_pooling1d", "pool_size": 2}, (6, 2), (3, 2)),
    ("global_average_pooling2d", (4, 4, 3), (3,)),
    ("global_max_pooling1d", (5, 3), (3,)),
    ("flatten", (2, 3, 4), (24,)),
    ({"type": "reshape", "target_shape": [6, 4]}, (2, 3, 4), (6, 4)),
    ({"type": "permute", "dims": [2, 1]}, (2, 3), (3, 2)),
    ({"type": "repeat_vector", "n": 3}, (4,), (3, 4)),
    ({"type": "dropout", "rate": 0.5}, (4,), (4,)),
    ({"type": "spatial_dropout2d", "rate": 0.5}, (4, 4, 2), (4, 4, 2)),
    ({"type": "gaussian_noise", "stddev": 0.1}, (4,), (4,)),
    ("batch_normalization", (4, 4, 2), (4, 4, 2)),
    ("layer_normalization", (5,), (5,)),
    ({"type": "lstm", "units": 4}, (5, 3), (4,)),
    ({"type": "LSTM", "units": 4, "return_sequences": True}, (5, 3), (5, 4)),
    ({"type": "gru", "units": 2}, (5, 3), (2,)),
    ({"type": "simple_rnn", "units": 2}, (5, 3), (2,)),
    ({"type": "leaky_relu", "negative_slope": 0.2}, (4,), (4,)),
    ("relu", (4,), (4,)),
    ("PReLU", (4,), (4,)),
    ({"type": "activation", "activation": "tanh"}, (4,), (4,)),
    ("softmax", (4,), (4,)),
    ({"type": "up_sampling2d", "size": 2}, (3, 3, 1), (6, 6, 1)),
    ({"type": "zero_padding2d", "padding": 1}, (3, 3, 1), (5, 5, 1)),
    ({"type": "cropping2d", "cropping": 1}, (5, 5, 1), (3, 3, 1)),
    ({"type": "rescaling", "scale": 0.5}, (3,), (3,)),
    ({"type": "resizing", "height": 4, "width": 4}, (8, 8, 1), (4, 4, 1)),
    ({"type": "random_flip"}, (4, 4, 1), (4, 4, 1)),
    ({"type": "tabm", "units": [6, 5], "k": 3, "dropout": 0.1}, (4,), (3, 5)),
    ({"type": "tabm", "units": [5], "k": 3, "adapters": "mini"}, (3, 4), (3, 5)),
    ({"type": "ensemble_head", "units": 2, "activation": "softmax"}, (3, 4), (2,)),
]


@pytest.mark.parametrize(
    "entry, input_shape, expected", LAYER_CASES, ids=lambda v: str(v) if isinstance(v, str) else None
)
def test_layer(entry, input_shape, expected, tmp_path):
    run_layer_test(entry, input_shape, expected, tmp_path=tmp_path)


def test_embedding_takes_integer_inputs(tmp_path):
    run_layer_test({"type": "embedding", "input_dim": 10, "output_dim": 4}, (5,), (5, 4), "int32", tmp_path)


def test_residual_block_in_yaml_dry_run(tmp_path, cli):
    config = write_config(tmp_path, {**TINY, "model": {"layers": RESIDUAL}})
    result = cli("validate", config, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    # conv 1->8: 80, two conv 8->8: 584 each, dense 8->10: 90
    assert summary["params"] == summary["trainable_params"] == 80 + 584 + 584 + 90
    assert summary["input_shape"] == [8, 8, 1] and summary["output_shape"] == [10]
    add = next(layer for layer in summary["layers"] if layer["class"] == "Add")
    assert add["output_shape"] == [8, 8, 8]
