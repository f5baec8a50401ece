"""The Keras layer table: every built-in layer by name with its required arguments and their types,
as the installed Keras has them; unsafe layers not offered."""

import inspect

import pytest

from dlkit.core.registries import LAYERS
from dlkit.layers import keras_table


def test_every_table_entry_makes_a_spec_with_its_required_arguments():
    for name in keras_table.load():  # not plug-ins' layers nor the wrappers (tests/unit/layers/test_wrappers.py)
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
