"""The layer registry: every built-in Keras layer by name, checked the same way (build from a YAML
entry, output shape, save and reload in safe mode), and graph models written in YAML."""

import inspect
import json

import keras
import numpy as np
import pytest

from conftest import TINY, write_config
from dlkit.core.registries import LAYERS
from dlkit.layers import keras_table


def run_layer_test(entry, input_shape, expected_shape, input_dtype="float32", tmp_path=None):
    """Build `entry` from the registry, check its output shape, save and reload the model."""
    layer = LAYERS.build(entry)
    inputs = keras.Input(input_shape, dtype=input_dtype)
    outputs = layer(inputs)
    assert tuple(outputs.shape[1:]) == tuple(expected_shape)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).integers(0, 5, (2, *input_shape)).astype(input_dtype)
    path = tmp_path / "layer.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), rtol=1e-6)


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
]


@pytest.mark.parametrize(
    "entry, input_shape, expected", LAYER_CASES, ids=lambda v: str(v) if isinstance(v, str) else None
)
def test_layer(entry, input_shape, expected, tmp_path):
    run_layer_test(entry, input_shape, expected, tmp_path=tmp_path)


def test_embedding_takes_integer_inputs(tmp_path):
    run_layer_test({"type": "embedding", "input_dim": 10, "output_dim": 4}, (5,), (5, 4), "int32", tmp_path)


def test_every_table_entry_makes_a_spec_with_its_required_arguments():
    for name in keras_table.load():  # not plug-ins' layers nor the wrappers (tests/test_wrappers.py)
        spec = LAYERS.get(name)
        required = {n for n, f in spec.model_fields.items() if f.is_required()}
        assert required == set(keras_table.load()[name]["required"]), name


def test_table_matches_the_installed_keras():
    """If this fails, Keras changed: run `python -m dlkit.layers` and review the diff."""
    assert keras_table.generate() == keras_table.load()


REQUIRED = inspect.Parameter.empty


@pytest.mark.parametrize(
    "default, doc, expected",
    [
        (REQUIRED, "Positive integer, dimensionality of the output space.", "positive_int"),
        (REQUIRED, "Float between 0 and 1. Fraction of the input units to drop.", "fraction"),
        (REQUIRED, "int or tuple/list of 2 integer, specifying the size of the convolution window.", "ints"),
        (None, "Activation function to use. If you don't specify anything, no activation is applied.", "str"),
        (None, "Optional integer to seed the dropout layer.", "int"),
        (0.0, "", "float"),
        (True, "If `True`, add offset of `beta` to normalized tensor.", "bool"),
        ("glorot_uniform", "Initializer for the `kernel` weights matrix.", None),  # or a config mapping
        ("auto", "Whether to use a cuDNN-backed implementation.", None),  # "auto" or a bool
        (1.0, "A single float or a tuple of two floats.", None),
        ((1, 1), "Int, or tuple of 2 ints, or tuple of 2 tuples of 2 ints.", None),
        (None, "Regularizer function applied to the bias vector.", None),
    ],
)
def test_argument_types_from_keras_docstrings_and_defaults(default, doc, expected):
    assert keras_table.arg_type(default, doc) == expected


def test_the_table_types_the_arguments_configs_use_most():
    types = {name: entry["types"] for name, entry in keras_table.load().items()}
    assert types["dense"]["units"] == types["lstm"]["units"] == "positive_int"
    assert {"filters": "int", "kernel_size": "ints", "strides": "ints", "padding": "str"}.items() <= types[
        "conv2d"
    ].items()
    assert types["dropout"]["rate"] == "fraction" and types["dense"]["use_bias"] == "bool"


def test_unsafe_layers_are_not_offered():
    for name in ("lambda", "tfsm_layer", "torch_module_wrapper", "input_layer"):
        assert name not in LAYERS


RESIDUAL = [
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu", "name": "stem"},
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "name": "branch"},
    {"type": "add", "inputs": ["stem", "branch"]},
    "relu",
    "global_average_pooling2d",
    {"type": "dense", "units": 10, "activation": "softmax"},
]


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


def test_residual_block_trains_and_reloads(tmp_path, cli):
    config = write_config(tmp_path, {**TINY, "model": {"layers": RESIDUAL}})
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=1")
    assert result.exit_code == 0, result.stderr
    model = keras.saving.load_model(tmp_path / "runs" / "latest" / "model.keras", safe_mode=True)
    add = next(layer for layer in model.layers if isinstance(layer, keras.layers.Add))
    assert [t._keras_history.operation.name for t in add.input] == ["stem", "branch"]


def test_quickstart_dry_run_reports_parameters_and_shapes(cli):
    from conftest import REPO

    result = cli("validate", REPO / "configs" / "quickstart.yaml", "--dry-run", "--json")
    summary = json.loads(result.stdout)
    # conv 1->32: 320, conv 32->32: 9,248, dense 512->128: 65,664, dense 128->10: 1,290
    assert summary["params"] == 320 + 9248 + 65664 + 1290
    assert summary["input_shape"] == [8, 8, 1] and summary["output_shape"] == [10]
    table = cli("validate", REPO / "configs" / "quickstart.yaml", "--dry-run")
    assert "params: 76,522" in table.stdout


def test_list_shows_each_registry(cli):
    for what, expected in [
        ("layers", "conv2d"),
        ("datasets", "digits"),
        ("preprocess", "rescale"),
        ("callbacks", "early_stopping"),
        ("optimizers", "adamw"),
        ("losses", "huber"),
        ("metrics", "top_k_accuracy"),
    ]:
        result = cli("list", what)
        assert result.exit_code == 0 and expected in result.stdout, what
    assert "convolution2d" in cli("list", "layers").stdout  # aliases are shown
