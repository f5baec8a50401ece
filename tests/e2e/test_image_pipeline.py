"""Streamed images: the resize a run trained with is the one predict uses, old runs (antialiased,
before the option) included."""

import json

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import write_config
from dlkit.data.images import antialiased, read_image
from helpers.image_folder import folder_config, make_folder


def test_new_runs_record_the_resize_and_old_runs_keep_theirs(tmp_path, cli):
    root = make_folder(tmp_path / "imgs", 8)
    config = folder_config(root) | {"train": {"epochs": 1}}
    assert cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    run_dir = (tmp_path / "runs" / "latest").resolve()
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["data"]["options"]["antialias"] is False  # the default, written out for predict
    assert antialiased(saved["data"]["options"]) is False
    assert antialiased({"path": str(root), "image_size": [16, 16]}) is True  # a run from before the option


@pytest.mark.parametrize("antialias", [False, True])
def test_predict_resizes_as_the_run_trained(tmp_path, cli, antialias):
    """Predict's probabilities are the model's on the pixels the run's own resize gives."""
    import keras

    config = folder_config(make_folder(tmp_path / "imgs", 8), antialias=antialias) | {"train": {"epochs": 1}}
    runs = tmp_path / "runs"
    assert cli("train", write_config(tmp_path, config), "--runs-dir", runs, "-q").exit_code == 0
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (61, 47, 3), dtype="uint8")).save(tmp_path / "noise.png")
    out = cli("predict", tmp_path / "noise.png", "--run", runs / "latest", "--json", "--top-k", "3")
    assert out.exit_code == 0, out.stderr
    shown = {c["label"]: c["probability"] for c in json.loads(out.stdout)["predictions"][0]["top_k"]}
    model = keras.saving.load_model(runs / "latest" / "model.keras", safe_mode=True)
    for resize, should_match in ((antialias, True), (not antialias, False)):
        pixels = read_image(tmp_path / "noise.png", (16, 16, 3), resize)
        probs = dict(zip(["blue", "green", "red"], model.predict(pixels[None], verbose=0)[0].tolist(), strict=True))
        assert (max(abs(shown[k] - probs[k]) for k in shown) < 1e-6) == should_match
