"""dlkit's own layers: TemperatureScaling applies what the numbers fit and loads in safe mode."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.core import calibration
from dlkit.layers.custom import TemperatureScaling
from helpers.calibration import _load


@pytest.mark.parametrize(
    ("mode", "head", "outputs"),
    [
        ("softmax", "softmax", np.array([[0.7, 0.2, 0.1], [0.0, 0.999, 0.001]], "float32")),
        ("sigmoid", "sigmoid", np.array([[0.9], [0.3], [1.0]], "float32")),
        ("logits", "softmax", np.array([[2.0, -1.0, 0.5]], "float32")),
    ],
)
def test_the_layer_applies_what_the_numbers_fit_and_loads_in_safe_mode(tmp_path, mode, head, outputs):
    inputs = keras.Input(outputs.shape[1:])
    model = keras.Model(inputs, TemperatureScaling(1.7, mode)(inputs))
    model.save(tmp_path / "m.keras")
    got = _load(tmp_path / "m.keras").predict(outputs, verbose=0)
    z = calibration.scores(outputs, head, from_logits=mode == "logits") / 1.7
    if mode == "logits":
        expected = z
    else:
        expected = np.exp(calibration.log_probabilities(z, head))[:, -1 if head == "sigmoid" else slice(None)]
    np.testing.assert_allclose(got, expected.reshape(got.shape), atol=1e-6)
    assert (got.argmax(-1) == outputs.argmax(-1)).all() if mode != "sigmoid" else ((got > 0.5) == (outputs > 0.5)).all()


def test_the_layer_refuses_what_is_not_a_temperature():
    with pytest.raises(ValueError, match="temperature > 0"):
        TemperatureScaling(0.0, "softmax")
    with pytest.raises(ValueError, match="mode of"):
        TemperatureScaling(2.0, "tanh")
