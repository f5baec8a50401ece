"""The space an attack moves in: per feature for sequences; integer ids refused."""

from __future__ import annotations

import numpy as np


def test_a_sequence_is_attacked_per_feature_and_integer_ids_are_refused():
    """(N, T, F) windows: each feature's std and range over every example and step; an array of
    integer ids (word indices) is refused, as text is."""
    import keras

    from dlkit.components.input_space import input_space, refusal

    rng = np.random.default_rng(0)
    windows = np.stack([rng.normal(0, 1, (50, 6)), rng.normal(100, 10, (50, 6))], axis=-1).astype("float32")

    def model_of(shape):  # functional, as dlkit builds its models
        inputs = keras.Input(shape, name="input")
        return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))

    model = model_of((6, 2))
    assert refusal("sequence", model, windows) is None
    space = input_space("sequence", model, windows)
    assert np.allclose(np.asarray(space.scale["input"]), windows.reshape(-1, 2).std(axis=0), rtol=1e-5)
    assert np.array_equal(np.asarray(space.high["input"]), windows.reshape(-1, 2).max(axis=0))
    assert "integer ids" in refusal("array", model_of((6,)), rng.integers(0, 100, (50, 6)).astype("int32"))
