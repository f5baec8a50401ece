"""`train.ensemble: {seeds: k}`: the model holds k copies of `model.layers`, each from its own initial
weights, and predicts their mean; a training call gives each copy's outputs for its own loss."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from conftest import TINY, write_config
from dlkit.config.loader import load_config
from dlkit.model.build import build_model

LAYERS = [
    "flatten",
    {"type": "dense", "units": 8, "activation": "relu", "name": "hidden"},
    {"type": "dense", "units": 10, "activation": "softmax", "inputs": ["hidden"]},
]


def _config(tmp_path, seeds: int | None = 3, layers=LAYERS):
    train = {**TINY["train"], **({"ensemble": {"seeds": seeds}} if seeds else {})}
    return write_config(tmp_path, {**TINY, "model": {"layers": layers}, "train": train})


def test_the_model_is_k_copies_and_predicts_their_mean(tmp_path):
    keras.utils.set_random_seed(0)
    config = load_config(_config(tmp_path))
    model = build_model(config, config.data.loader().model_input((8, 8, 1)), "image")
    single = build_model(load_config(_config(tmp_path, None)), config.data.loader().model_input((8, 8, 1)), "image")
    assert model.count_params() == 3 * single.count_params()
    # Named layers are named once per copy (names are unique in a model).
    names = [layer.name for layer in model.layers]
    assert {"hidden", "hidden_copy1", "hidden_copy2"} <= set(names) and names[-1] == "ensemble_mean"

    x = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 1)).astype("float32")
    members = np.asarray(model(x, training=True))
    assert members.shape == (4, 3, 10)
    np.testing.assert_allclose(model(x, training=False), members.mean(axis=1), rtol=1e-5)
    assert model.output_shape == (None, 10)
    assert np.abs(members[:, 0] - members[:, 1]).max() > 1e-3  # each copy starts from its own weights


def test_the_dry_run_counts_every_copy(tmp_path, cli):
    one = cli("validate", _config(tmp_path, None), "--dry-run", "--json")
    three = cli("validate", _config(tmp_path, 3), "--dry-run", "--json")
    assert one.exit_code == 0 and three.exit_code == 0, three.stderr
    assert json.loads(three.stdout)["params"] == 3 * json.loads(one.stdout)["params"]


@pytest.mark.parametrize(
    ("seeds", "layers", "message"),
    [
        (1, LAYERS, "train.ensemble.seeds: Input should be greater than or equal to 2"),
        (
            2,
            ["flatten", {"type": "tabm", "units": [8], "k": 2}, {"type": "ensemble_head", "units": 10}],
            "train.ensemble: model.layers.2 (ensemble_head) already trains an ensemble member by member",
        ),
    ],
)
def test_what_cannot_be_a_deep_ensemble_is_refused_in_one_line(tmp_path, cli, seeds, layers, message):
    result = cli("validate", _config(tmp_path, seeds, layers))
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
