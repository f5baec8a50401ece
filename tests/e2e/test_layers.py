"""Layers that train: a residual block written in YAML and a wrapped (bidirectional) model train,
save and reload in safe mode."""

import keras

from conftest import TINY, write_config
from helpers.layers import RESIDUAL
from helpers.wrappers import WRAPPED


def test_residual_block_trains_and_reloads(tmp_path, cli):
    config = write_config(tmp_path, {**TINY, "model": {"layers": RESIDUAL}})
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=1")
    assert result.exit_code == 0, result.stderr
    model = keras.saving.load_model(tmp_path / "runs" / "latest" / "model.keras", safe_mode=True)
    add = next(layer for layer in model.layers if isinstance(layer, keras.layers.Add))
    assert [t._keras_history.operation.name for t in add.input] == ["stem", "branch"]


def test_wrapped_model_trains_and_reloads(tmp_path, cli):
    config = write_config(tmp_path, WRAPPED)
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=1")
    assert result.exit_code == 0, result.stderr
    model = keras.saving.load_model(tmp_path / "runs" / "latest" / "model.keras", safe_mode=True)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "Bidirectional" in kinds and "TimeDistributed" in kinds
