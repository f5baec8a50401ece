"""The TabM layers (`tabm`, `ensemble_head`): the forward pass against numpy, the parameter count of
the same network written with Keras's own layers, the initialisation TabM prescribes, the training
call giving each member, and a safe-mode save and reload."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.core.registries import LAYERS
from dlkit.layers.members import EnsembleHead, TabM

K, D, B = 4, 5, 6


def _model(units, adapters="full", activation=None, member_loss=True, seed=0):
    """features (D) -> tabm(units, K) -> ensemble_head(3), every weight redrawn at random (so that
    no scale or bias is 1 or equal across members and each shows in the output)."""
    inputs = keras.Input((D,))
    body = LAYERS.build({"type": "tabm", "units": units, "k": K, "adapters": adapters})
    head = LAYERS.build({"type": "ensemble_head", "units": 3, "activation": activation, "member_loss": member_loss})
    model = keras.Model(inputs, head(body(inputs)))
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        variable.assign(rng.normal(size=variable.shape).astype("float32"))
    return model, body, head


def _numpy_members(x, body, head, activation=None):
    """Each member's outputs, (B, K, 3), from the layers' weights by the paper's formula:
    h_i <- relu(s_i * ((r_i * h_i) W) + b_i) per layer, then y_i = h_i V_i + c_i."""
    h = np.repeat(x[:, None, :], K, axis=1)
    for block in body.blocks:
        weights = {key: None if v is None else np.asarray(v) for key, v in block.items()}
        if weights["r"] is not None:
            h = h * weights["r"]
        h = h @ weights["kernel"]
        if weights["s"] is not None:
            h = h * weights["s"]
        h = np.maximum(h + weights["bias"], 0)
    y = np.einsum("bkd,kdu->bku", h, np.asarray(head.kernel)) + np.asarray(head.bias)
    if activation == "softmax":
        y = np.exp(y - y.max(-1, keepdims=True))
        y = y / y.sum(-1, keepdims=True)
    return y


@pytest.mark.parametrize(("adapters", "activation"), [("full", None), ("mini", None), ("full", "softmax")])
def test_the_forward_pass_is_the_papers_formula(adapters, activation):
    model, body, head = _model([7, 2], adapters, activation)
    x = np.random.default_rng(1).normal(size=(B, D)).astype("float32")
    members = _numpy_members(x, body, head, activation)
    np.testing.assert_allclose(model(x, training=False), members.mean(axis=1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), members.mean(axis=1), rtol=1e-4, atol=1e-5)
    # A training call gives every member, (B, K, 3): the trainer takes each one's loss.
    np.testing.assert_allclose(model(x, training=True), members, rtol=1e-4, atol=1e-5)
    assert model.output_shape == (None, 3)


def test_member_loss_false_gives_the_mean_in_training_too():
    model, *_ = _model([4], member_loss=False)
    x = np.ones((B, D), "float32")
    np.testing.assert_allclose(model(x, training=True), model(x, training=False), rtol=1e-6)


def _keras_equivalent(units, adapters):
    """The same network from Keras's own layers: EinsumDense `bkd,kd->bkd` is a scale per member,
    a bias-free Dense on (B, K, d) the shared W, EinsumDense with `bias_axes` the scale s_i and
    bias b_i, and `bkd,kdu->bku` the members' heads."""
    layers = keras.layers
    inputs = keras.Input((D,))
    x = layers.RepeatVector(K)(inputs)
    width = D
    for i, size in enumerate(units):
        if i == 0 or adapters == "full":
            x = layers.EinsumDense("bkd,kd->bkd", output_shape=(K, width))(x)
        x = layers.Dense(size, use_bias=adapters == "mini")(x)
        if adapters == "full":
            x = layers.EinsumDense("bkd,kd->bkd", output_shape=(K, size), bias_axes="kd", activation="relu")(x)
        else:
            x = layers.Activation("relu")(x)
        width = size
    x = layers.EinsumDense("bkd,kdu->bku", output_shape=(K, 3), bias_axes="ku")(x)
    return keras.Model(inputs, layers.GlobalAveragePooling1D()(x))


@pytest.mark.parametrize("adapters", ["full", "mini"])
def test_the_parameter_count_is_the_hand_written_keras_networks(adapters):
    units = [16, 8]
    model, *_ = _model(units, adapters)
    assert model.count_params() == _keras_equivalent(units, adapters).count_params()
    shared = D * 16 + 16 * 8  # the weight matrices, once
    per_member = (D + 16 + 16 + 16 + 8 + 8) if adapters == "full" else D  # r, s, b of each layer / r once
    biases = 0 if adapters == "full" else 16 + 8
    head = K * (8 * 3 + 3)
    assert model.count_params() == shared + K * per_member + biases + head


def test_the_initialisation_is_tabms():
    keras.utils.set_random_seed(0)
    body = TabM([6, 6], k=K)
    body.build((None, D))
    first, second = body.blocks
    assert set(np.unique(np.asarray(first["r"]))) == {-1.0, 1.0}  # random signs
    np.testing.assert_array_equal(second["r"], np.ones((K, 6)))
    np.testing.assert_array_equal(first["s"], np.ones((K, 6)))
    bias = np.asarray(first["bias"])
    np.testing.assert_array_equal(bias, np.broadcast_to(bias[0], bias.shape))  # members start as one network
    assert np.abs(bias).max() <= D**-0.5 and np.abs(np.asarray(first["kernel"])).max() <= D**-0.5
    normal = TabM([6], k=K, first_adapter_init="normal")
    normal.build((None, D))
    assert len(np.unique(np.asarray(normal.blocks[0]["r"]))) == K * D


def test_the_layers_save_and_load_in_safe_mode(tmp_path):
    model, *_ = _model([5, 4], activation="softmax")
    x = np.random.default_rng(2).normal(size=(B, D)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded(x, training=True).shape == (B, K, 3)  # member_loss kept
    body = loaded.layers[1]
    assert isinstance(body, TabM) and (body.units, body.k, body.adapters) == ([5, 4], K, "full")


def test_stacked_tabm_layers_share_the_members():
    inputs = keras.Input((D,))
    x = TabM([4], k=K)(inputs)
    x = TabM([3], k=K)(x)
    assert tuple(EnsembleHead(2)(x).shape) == (None, 2)
    with pytest.raises(ValueError, match=r"\(batch, 3, features\)"):
        TabM([3], k=3)(x)


@pytest.mark.parametrize(
    ("make", "shape", "message"),
    [
        (lambda: TabM([], k=2), None, "non-empty list"),
        (lambda: TabM([4], k=0), None, "k >= 1"),
        (lambda: TabM([4], adapters="half"), None, "adapters in"),
        (lambda: EnsembleHead(0), None, "units >= 1"),
        (lambda: EnsembleHead(2), (None, 8), r"\(batch, k, features\)"),
    ],
)
def test_bad_arguments_are_refused_as_keras_refuses(make, shape, message):
    with pytest.raises(ValueError, match=message):
        layer = make()
        layer.build(shape)
