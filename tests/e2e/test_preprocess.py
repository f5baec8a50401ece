"""Preprocessing steps: fitted on the training split, carried inside the model."""

import keras
import numpy as np
import pytest

from conftest import TINY, write_config


def test_normalize_is_fitted_on_the_training_split(tmp_path, cli):
    data = {**TINY, "data": {**TINY["data"], "preprocess": [{"type": "rescale", "scale": 1 / 255}, "normalize"]}}
    result = cli(
        "train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=1"
    )
    assert result.exit_code == 0, result.stderr
    model = keras.saving.load_model(tmp_path / "runs" / "latest" / "model.keras", safe_mode=True)
    norm = next(layer for layer in model.layers if isinstance(layer, keras.layers.Normalization))
    from sklearn.datasets import load_digits

    pixels = np.round(load_digits().images * 255 / 16) / 255
    # Fitted on the training split (about 72% of the images): close to, not equal to, all of them.
    assert float(np.asarray(norm.mean).squeeze()) == pytest.approx(pixels.mean(), rel=0.05)
    assert float(np.asarray(norm.variance).squeeze()) == pytest.approx(pixels.var(), rel=0.05)


def test_steps_per_execution(tmp_path, cli):
    result = cli("train", write_config(tmp_path, TINY), "--runs-dir", tmp_path / "runs", "-q",
                 "--set", "train.steps_per_execution=4", "--set", "train.epochs=1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
