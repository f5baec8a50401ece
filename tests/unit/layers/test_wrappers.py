"""Layer wrappers (`bidirectional`, `time_distributed`): the wrapped layer is a registry entry,
validated as any layer, and the keras-io BiLSTM written in YAML is the example's model."""

import keras
import numpy as np
import pytest

from conftest import REPO, write_config
from dlkit.config.loader import load_config
from dlkit.model.build import build_model
from helpers.layers import run_layer_test
from helpers.wrappers import WRAPPED


@pytest.mark.parametrize(
    "entry, input_shape, expected",
    [
        ({"type": "bidirectional", "layer": {"type": "lstm", "units": 3}}, (5, 2), (6,)),
        ({"type": "bidirectional", "layer": {"type": "gru", "units": 3}, "merge_mode": "sum"}, (5, 2), (3,)),
        (
            {
                "type": "bidirectional",
                "layer": {"type": "lstm", "units": 3, "return_sequences": True},
                "backward_layer": {"type": "gru", "units": 3, "return_sequences": True, "go_backwards": True},
            },
            (5, 2),
            (5, 6),
        ),
        ({"type": "time_distributed", "layer": {"type": "dense", "units": 4}}, (5, 3), (5, 4)),
        (
            {"type": "TimeDistributed", "layer": {"type": "conv2d", "filters": 2, "kernel_size": 3}},
            (4, 6, 6, 1),
            (4, 4, 4, 2),
        ),
    ],
)
def test_wrapper_builds_and_reloads_in_safe_mode(entry, input_shape, expected, tmp_path):
    run_layer_test(entry, input_shape, expected, tmp_path=tmp_path)


def test_bilstm_config_is_the_keras_io_model():
    """keras-io "Bidirectional LSTM on IMDB", built in code: same parameters, and with the same
    weights the same outputs."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(20000, 128)(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64, return_sequences=True))(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(64))(x)
    reference = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))

    config = load_config(REPO / "configs" / "imdb_bilstm.yaml")
    model = build_model(config, config.data.loader().model_input((200,)), "array")
    assert model.count_params() == reference.count_params() == 2_757_761
    model.set_weights(reference.get_weights())
    # Reviews padded at the front, as the loader pads them: the backward LSTM must read them forwards again.
    ids = np.random.default_rng(0).integers(1, 20000, (4, 200)).astype("int32")
    ids[:2, :150] = 0
    expected = reference.predict(ids, verbose=0)
    np.testing.assert_allclose(model.predict(ids.astype("float32"), verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert expected.std() > 0  # the comparison is not between constants


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.layers.1.layer.type=lstn", "model.layers.1.layer.type: unknown layer 'lstn'; did you mean 'lstm'?"),
        ("model.layers.1.layer.unitz=3", "model.layers.1.layer.unitz: unknown key; did you mean 'units'?"),
        ("model.layers.1.layer.units=-1", "model.layers.1.layer.units: Input should be greater than 0"),
        ("model.layers.1.merge_mode=cat", "model.layers.1.merge_mode: Input should be 'sum', 'mul', 'concat' or 'ave'"),
        ("model.layers.2.layer.inputs=[input]", "model.layers.2.layer.inputs: a wrapped layer takes the wrapper's"),
        ("model.layers.2.layer=null", "model.layers.2.layer: "),
    ],
)
def test_wrapped_layer_is_validated_at_its_key_path(override, message, tmp_path, cli):
    config = write_config(tmp_path, WRAPPED)
    result = cli("validate", config, "--set", override)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
