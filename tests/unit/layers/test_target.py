"""The inverse of `data.options.target_transform` inside the model, and the loss in the learned
space: exact against numpy, bounded far outside the training range, loaded back in safe mode."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.layers.target import BOUNDS, MARGIN, TargetTransform, TransformedLoss, forward, learned_range

#: Two target columns: the statistics are per column.
MEAN, STD = [7.5, -0.2], [1.3, 0.4]


def _numpy_inverse(transform: str, z: np.ndarray) -> np.ndarray:
    v = np.clip(np.asarray(MEAN) + np.asarray(STD) * z.astype("float64"), *BOUNDS[transform])
    return np.exp(v) if transform == "log" else np.expm1(v)


@pytest.mark.parametrize("transform", ["log", "log1p"])
def test_the_layer_is_numpys_inverse_and_loads_in_safe_mode(tmp_path, transform):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, TargetTransform(transform, MEAN, STD, name="target_transform")(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    z = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    got = loaded.predict(z, verbose=0)
    np.testing.assert_allclose(got, _numpy_inverse(transform, z), rtol=2e-6, atol=1e-6)
    assert loaded.get_layer("target_transform").get_config()["mean"] == MEAN and not loaded.weights


@pytest.mark.parametrize(("transform", "above"), [("log", 0.0), ("log1p", -1.0)])
def test_outputs_far_outside_any_training_range_stay_finite_and_in_the_domain(transform, above):
    z = np.array([[-1e9, -1e9], [-300.0, 50.0], [0.0, 0.0], [300.0, -50.0], [1e9, 1e9]], "float32")
    got = keras.ops.convert_to_numpy(TargetTransform(transform, MEAN, STD)(z))
    assert np.isfinite(got).all() and (got > above).all()
    np.testing.assert_allclose(got[-1], np.exp(80.0) - (transform == "log1p"), rtol=1e-6)  # the clip, not inf


@pytest.mark.parametrize("transform", ["log", "log1p"])
def test_the_loss_compares_the_learned_values_and_survives_serialisation(transform):
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.uniform(0.5, 900, (32, 1)).astype("float32"), rng.uniform(0.5, 900, (32, 1)).astype("float32")
    loss = TransformedLoss(keras.losses.MeanSquaredError(), transform)
    f = np.log if transform == "log" else np.log1p
    expected = np.mean((f(y_true.astype("float64")) - f(y_pred.astype("float64"))) ** 2)
    assert float(loss(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss), safe_mode=True)
    assert (type(again.loss), again.transform) == (keras.losses.MeanSquaredError, transform)
    assert float(again(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)
    # A baseline's negative prediction counts as the smallest the model can give: finite.
    assert np.isfinite(float(loss(y_true, -y_pred)))


def test_the_loss_weighs_examples_as_its_inner_loss_does():
    y_true, y_pred = np.array([[1.0], [10.0]], "float32"), np.array([[2.0], [10.0]], "float32")
    loss = TransformedLoss(keras.losses.MeanAbsoluteError(), "log")
    assert float(loss(y_true, y_pred, sample_weight=np.array([0.0, 1.0]))) == 0.0
    assert float(loss(y_true, y_pred)) == pytest.approx(np.log(2.0) / 2, rel=1e-6)


def test_forward_is_the_layers_inverse_inside_the_bounds():
    z = np.linspace(-5, 5, 11, dtype="float32")[:, None]
    for transform in BOUNDS:
        layer = TargetTransform(transform)
        back = keras.ops.convert_to_numpy(forward(transform, layer(z)))
        np.testing.assert_allclose(back, z, atol=2e-5)


def test_unknown_transforms_are_refused():
    with pytest.raises(ValueError, match="transform of"):
        TargetTransform("sqrt")
    with pytest.raises(ValueError, match="transform of"):
        TransformedLoss(keras.losses.MeanSquaredError(), "standardize")


def test_predictions_stay_within_the_training_range_widened():
    """exp of a network's linear extrapolation has no bound: the layer keeps the learned value
    within the training targets' range widened by MARGIN of it (per column), as a tree would."""
    learned = np.log(np.array([[326.0, 1.0], [18_823.0, 4.0], [2_000.0, 2.0]]))
    low, high = learned_range(learned)
    span = learned.max(axis=0) - learned.min(axis=0)
    np.testing.assert_allclose(low, learned.min(axis=0) - MARGIN * span)
    np.testing.assert_allclose(high, learned.max(axis=0) + MARGIN * span)
    layer = TargetTransform("log", 0.0, 1.0, low, high)
    z = np.array([[-50.0, -50.0], [np.log(1000.0), np.log(3.0)], [50.0, 50.0]], "float32")
    got = keras.ops.convert_to_numpy(layer(z))
    np.testing.assert_allclose(got[0], np.exp(low), rtol=1e-5)
    np.testing.assert_allclose(got[1], [1000.0, 3.0], rtol=1e-5)  # inside: untouched
    np.testing.assert_allclose(got[2], np.exp(high), rtol=1e-5)
    assert TargetTransform.from_config(layer.get_config()).get_config()["high"] == high
