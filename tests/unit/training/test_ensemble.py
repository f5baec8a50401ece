"""The `ensemble` add-on: a model ending in `ensemble_head` trains each member on its own loss (the
mean of the members' losses, TabM's rule), while validation and the metrics see the members' mean."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.layers.members import EnsembleHead, TabM
from dlkit.training.addons.ensemble import train_members

K, B = 5, 8


def _compiled(units: int, activation, loss, metrics):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, EnsembleHead(units, activation)(TabM([6], k=K)(inputs)))
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    train_members(model)
    return model


def test_the_training_loss_is_the_mean_of_the_members_losses():
    keras.utils.set_random_seed(0)
    model = _compiled(1, None, "mse", ["mae"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, 3)).astype("float32")
    y = rng.normal(size=(B, 1)).astype("float32")
    weights = rng.uniform(0.5, 2.0, B).astype("float32")
    members = model(x, training=True)
    assert members.shape == (B, K, 1)
    p = np.asarray(members)[..., 0]  # (B, K)
    each = ((y - p) ** 2 * weights[:, None]).mean(axis=0)  # member i's weighted loss over the batch
    got = float(model.compute_loss(x, y, members, weights, training=True))
    assert got == pytest.approx(each.mean(), rel=1e-5)
    # Validation, and every call that is not training: the loss of the mean.
    mean = model(x, training=False)
    np.testing.assert_allclose(mean, p.mean(axis=1, keepdims=True), rtol=1e-5)
    of_mean = float(model.compute_loss(x, y, mean, weights, training=False))
    assert of_mean == pytest.approx(np.mean(weights * (y[:, 0] - p.mean(axis=1)) ** 2), rel=1e-5)
    assert got > of_mean  # the members' spread counts: a different objective, not the same one twice
    # The training metrics score the members' mean (compiled `metrics` are unweighted in Keras).
    logs = model.compute_metrics(x, y, members, weights)
    assert float(logs["mae"]) == pytest.approx(np.abs(y[:, 0] - p.mean(axis=1)).mean(), rel=1e-5)


def test_each_member_is_scored_on_the_probabilities_it_gives_itself():
    keras.utils.set_random_seed(1)
    model = _compiled(3, "softmax", "sparse_categorical_crossentropy", ["accuracy"])
    x = np.random.default_rng(1).normal(size=(B, 3)).astype("float32")
    y = np.arange(B) % 3
    members = np.asarray(model(x, training=True))  # (B, K, 3) probabilities
    expected = -np.log(members[np.arange(B), :, y]).mean()
    assert float(model.compute_loss(x, y, members, None, training=True)) == pytest.approx(expected, rel=1e-4)
    of_mean = -np.log(members.mean(axis=1)[np.arange(B), y]).mean()
    assert expected > of_mean  # Jensen: the mean's loss is lower than the members' mean loss
    accuracy = (members.mean(axis=1).argmax(-1) == y).mean()
    assert float(model.compute_metrics(x, y, members)["accuracy"]) == pytest.approx(accuracy)
