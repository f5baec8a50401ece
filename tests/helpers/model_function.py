"""The shipped quickstart, tabular_csv and unet_shapes models, built as `dlkit train` builds them
(untrained), and how far `dlkit.core.backend.model_function` (behind serve and the export parity
report) is from `model.predict` on each, also once reloaded from a `.keras` file. Keras takes one
backend per process, so `python model_function.py BACKEND` prints the figures as JSON for a test
running in another backend's process."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
#: A table's columns as `breast_cancer.csv` names them, blanks in one.
COLUMNS = ("mean_radius", "mean_texture", "worst_area")


def _config(name: str):
    from dlkit.config import parse_config

    return parse_config(yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text()), name)


def _models(rng) -> dict[str, tuple]:
    """{name: (model, examples as the model takes them)}."""
    from dlkit.core.backend import keras
    from dlkit.data.table_encoders import encode_columns
    from dlkit.model.build import build_model

    k = keras()
    models = {}
    for name, shape in (("quickstart", (8, 8, 1)), ("unet_shapes", (32, 32, 3))):
        inputs = k.Input(shape, name="input")
        examples = rng.integers(0, 256, (37, *shape)).astype("float32")  # raw pixels, a batch not a power of 2
        models[name] = build_model(_config(name), (inputs, inputs), "image"), examples
    config = _config("tabular_csv")
    train = {column: rng.normal(10, 3, 200) for column in COLUMNS}
    train[COLUMNS[0]][::7] = np.nan
    model_input = encode_columns(config.data.loader(), train)  # the csv loader: its options
    rows = {column: values[:37, None].astype("float32") for column, values in train.items()}
    models["tabular_csv"] = build_model(config, model_input, "table"), rows
    return models


def differences(folder: Path) -> dict:
    """{"backend": the one Keras ran on, "models": {model: {"built": ..., "reloaded": ...}}}: the
    largest |model_function - model.predict| of each."""
    from dlkit.core.backend import keras, model_function
    from dlkit.model.saved import load_run_model

    rng = np.random.default_rng(0)
    found = {}
    for name, (model, examples) in _models(rng).items():
        run = folder / name
        run.mkdir()
        model.save(run / "model.keras")
        found[name] = {}
        for how, loaded in (("built", model), ("reloaded", load_run_model(run))):
            expected = np.asarray(loaded.predict(examples, verbose=0))
            outputs = model_function(loaded)(examples)
            assert outputs.shape == expected.shape, (name, outputs.shape, expected.shape)
            found[name][how] = float(np.abs(outputs - expected).max())
    return {"backend": keras().config.backend(), "models": found}


if __name__ == "__main__":
    from dlkit.core.backend import choose_backend

    choose_backend(sys.argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        print(json.dumps(differences(Path(scratch))))
