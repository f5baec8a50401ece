"""The numeric embeddings as YAML layers: shapes, safe-mode round trips, and the same parameters and
outputs as the Keras model one would write by hand for them (a Dense per feature)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import ops

from dlkit.config.model import ModelConfig
from dlkit.core.registries import LAYERS
from dlkit.layers.numeric import PeriodicEmbedding, PiecewiseLinearEmbedding
from dlkit.model.build import apply_layers

#: Two table columns as the csv encoder gives them, one number each, and a third of two numbers.
WIDTHS = {"a": 1, "b": 1, "c": 2}
X = {
    "a": np.array([[-1.5], [0.0], [0.3], [2.5]], "float32"),
    "b": np.array([[0.2], [-0.7], [4.0], [1.0]], "float32"),
    "c": np.array([[0.1, -3.0], [1.2, 0.5], [0.0, 0.0], [-0.4, 9.0]], "float32"),
}
RAGGED = [[-1.0, 0.0, 1.0], [-2.0, 2.0], [-1.0, -0.5, 0.5, 1.0, 3.0], [0.0, 1.0]]


def yaml_model(entry: dict) -> keras.Model:
    """`entry` as a layer of `model.layers` taking every column (`inputs: [columns.a, ...]`), built
    as dlkit builds a config's layers."""
    columns = {f"columns.{name}": keras.Input((width,), name=name) for name, width in WIDTHS.items()}
    config = ModelConfig.model_validate({"layers": [{**entry, "name": "embed", "inputs": list(columns)}]})
    return keras.Model(list(columns.values()), apply_layers(config, None, "model", columns=columns))


def by_hand(layer: str, d: int | None, lite: bool = False, k: int = 3) -> tuple[keras.Model, list]:
    """The same embedding written with plain Keras: per feature a Dense of its own (or one shared,
    `lite`); returns the model and its per-feature Dense layers."""
    inputs = [keras.Input((width,), name=name) for name, width in WIDTHS.items()]
    x = ops.concatenate(inputs, axis=-1)
    shared = keras.layers.Dense(d, activation="relu") if lite else None
    parts, dense = [], []
    for i in range(sum(WIDTHS.values())):
        column = x[:, i : i + 1]
        if layer == "periodic":
            angles = 2 * math.pi * keras.layers.Dense(k, use_bias=False, name=f"frequencies_{i}")(column)
            encoded = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
        else:
            edges = np.array(RAGGED[i], "float32")
            left, width, last = edges[:-1], np.diff(edges), len(edges) - 2
            encoded = (column - left) / width
            lower = np.where(np.arange(last + 1) == 0, -np.inf, 0.0).astype("float32")
            upper = np.where(np.arange(last + 1) == last, np.inf, 1.0).astype("float32")
            encoded = ops.minimum(ops.maximum(encoded, lower), upper)
        if d is not None:
            dense.append(shared or keras.layers.Dense(d, activation="relu", name=f"linear_{i}"))
            encoded = dense[-1](encoded)
        parts.append(encoded)
    return keras.Model(inputs, ops.concatenate(parts, axis=-1)), dense


@pytest.mark.parametrize("lite", [False, True])
def test_periodic_has_the_parameters_and_outputs_of_its_keras_model_by_hand(lite):
    ours = yaml_model({"type": "periodic_embedding", "n_frequencies": 3, "sigma": 0.3, "d_embedding": 5, "lite": lite})
    hand, dense = by_hand("periodic", 5, lite)
    assert ours.count_params() == hand.count_params() == 4 * 3 + (1 if lite else 4) * (6 * 5 + 5)
    layer = ours.get_layer("embed")
    for i in range(4):
        hand.get_layer(f"frequencies_{i}").set_weights([layer.frequencies.numpy()[i : i + 1]])
        if not lite:
            dense[i].set_weights([layer.kernel.numpy()[i], layer.bias.numpy()[i]])
    if lite:
        dense[0].set_weights([layer.kernel.numpy(), layer.bias.numpy()])
    got, expected = ours.predict(list(X.values()), verbose=0), hand.predict(list(X.values()), verbose=0)
    assert got.shape == (4, 4 * 5) and np.abs(got).sum() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("d", [4, None])
def test_piecewise_linear_has_the_parameters_and_outputs_of_its_keras_model_by_hand(d):
    ours = yaml_model({"type": "piecewise_linear_embedding", "edges": RAGGED, "d_embedding": d})
    hand, dense = by_hand("piecewise_linear", d)
    bins = [len(e) - 1 for e in RAGGED]  # 2, 1, 4, 1: a Dense on each feature's own bins, no padding
    assert ours.count_params() == hand.count_params() == (sum(bins) * d + 4 * d if d else 0)
    layer = ours.get_layer("embed")
    starts = np.cumsum([0, *bins])
    for i, linear in enumerate(dense):
        linear.set_weights([layer.kernel.numpy()[starts[i] : starts[i + 1]], layer.bias.numpy()[i]])
    got, expected = ours.predict(list(X.values()), verbose=0), hand.predict(list(X.values()), verbose=0)
    assert got.shape == (4, 4 * d if d else sum(bins))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_encoding_is_zero_below_a_bin_one_above_and_open_at_the_ends():
    layer = PiecewiseLinearEmbedding([0.0, 1.0, 3.0, 4.0])
    x = np.array([[-1.0], [0.5], [2.0], [3.5], [9.0]], "float32")
    expected = [[-1.0, 0, 0], [0.5, 0, 0], [1, 0.5, 0], [1, 1, 0.5], [1, 1, 6.0]]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, atol=1e-6)


@pytest.mark.parametrize(
    "entry, width",
    [
        ({"type": "periodic_embedding"}, 4 * 24),
        ({"type": "periodic_embedding", "n_frequencies": 5, "d_embedding": None}, 4 * 10),
        ({"type": "PeriodicEmbedding", "d_embedding": 3, "lite": True, "sigma": "1e-1"}, 4 * 3),
        ({"type": "piecewise_linear_embedding", "edges": [-1, 0, 1]}, 4 * 24),
        ({"type": "piecewise_linear_embedding", "edges": RAGGED, "d_embedding": None}, 8),
    ],
)
def test_shapes_and_a_safe_mode_round_trip(entry, width, tmp_path):
    model = yaml_model(entry)
    assert model.output.shape == (None, width)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.get_layer("embed").get_config() == model.get_layer("embed").get_config()
    np.testing.assert_allclose(loaded.predict(list(X.values()), verbose=0), model.predict(list(X.values()), verbose=0))


def test_one_column_at_a_time_and_a_dense_after(tmp_path):
    column = keras.Input((1,))
    x = LAYERS.build({"type": "periodic_embedding", "d_embedding": 4})(column)
    model = keras.Model(column, keras.layers.Dense(1)(x))
    assert model.count_params() == 48 + 96 * 4 + 4 + 4 * 1 + 1


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"type": "piecewise_linear_embedding", "edges": [0, 0, 1]}, "strictly increasing"),
        ({"type": "piecewise_linear_embedding", "edges": [[0, 1], [2]]}, r"strictly increasing \(list 1\)"),
        ({"type": "piecewise_linear_embedding"}, "edges\n  Field required"),
        ({"type": "periodic_embedding", "lite": True, "d_embedding": None}, "lite shares the Linear"),
        ({"type": "periodic_embedding", "sigma": 0}, "greater than 0"),
        ({"type": "periodic_embedding", "n_frequency": 8}, "did you mean 'n_frequencies'"),
    ],
)  # fmt: skip
def test_the_entries_refuse_what_cannot_be_built(entry, message):
    with pytest.raises(ValueError, match=message):
        LAYERS.parse(entry)


def test_edges_for_another_number_of_features_are_refused():
    with pytest.raises(ValueError, match="bin edges for 4 features but takes 2"):
        PiecewiseLinearEmbedding(RAGGED)(keras.Input((2,)))
    with pytest.raises(ValueError, match=r"Received: edges\[1\]=\[1.0, 1.0\]"):
        PiecewiseLinearEmbedding([[0, 1], [1, 1]])
    with pytest.raises(ValueError, match="shape \\(batch, features\\)"):
        PeriodicEmbedding()(keras.Input((2, 3)))


def test_dlkit_list_layers_shows_them_with_a_line_each(cli):
    result = cli("list", "layers")
    assert (
        result.exit_code == 0
        and "periodic_embedding" in result.stdout
        and "piecewise_linear_embedding" in result.stdout
    )
    summaries = {name: summary for name, summary, _ in LAYERS.describe()}
    assert summaries["periodic_embedding"].startswith("Numeric columns as sin and cos of trained frequencies")
    assert summaries["piecewise_linear_embedding"].endswith("(PLE, Gorishniy et al. 2022).")
