"""Building one layer from its YAML entry (shape, save and reload in safe mode), and a residual block."""

import keras
import numpy as np

from dlkit.core.registries import LAYERS


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


RESIDUAL = [
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu", "name": "stem"},
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "name": "branch"},
    {"type": "add", "inputs": ["stem", "branch"]},
    "relu",
    "global_average_pooling2d",
    {"type": "dense", "units": 10, "activation": "softmax"},
]
