"""`image_folder`: the user's own images, any size and colour mode, streamed from disk."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import write_config
from helpers.image_folder import COLOURS, folder_config, make_folder


def test_train_eval_predict_on_a_folder(tmp_path, cli):
    root = make_folder(tmp_path / "imgs")
    result = cli("train", write_config(tmp_path, folder_config(root)), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = (tmp_path / "runs" / "latest").resolve()
    info = json.loads((run_dir / "run.json").read_text())
    assert info["classes"] == ["blue", "green", "red"] and info["input"]["shape"] == [16, 16, 3]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == 1.0  # solid colours are easy
    assert cli("eval", run_dir).exit_code == 0
    assert json.loads((run_dir / "eval" / "metrics.json").read_text())["test"] == pytest.approx(metrics["test"])

    # A file the model never saw, in another size and mode, predicts through the same resize.
    Image.new("L", (50, 30), 40).convert("RGB").save(tmp_path / "dark.png")
    Image.fromarray(np.full((64, 48, 3), COLOURS["green"], dtype="uint8")).save(tmp_path / "green.jpg")
    out = cli("predict", tmp_path / "green.jpg", "--run", run_dir, "--json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["predictions"][0]["label"] == "green"


def test_cache_option_trains_the_same(tmp_path, cli):
    root = make_folder(tmp_path / "imgs", 8)
    results = []
    for cache in (False, True):
        config = folder_config(root) | {"train": {"epochs": 2}}
        config["data"]["cache"] = cache
        out = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / f"runs{cache}", "-q")
        assert out.exit_code == 0, out.stderr
        results.append(json.loads((tmp_path / f"runs{cache}" / "latest" / "metrics.json").read_text()))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda root: None, "no such folder"),
        (lambda root: (root / "red").mkdir(parents=True), "red: empty class folder"),
        (lambda root: root.mkdir(), "no class folders"),
        (
            lambda root: (make_folder(root, 2), (root / "red" / "0.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")),
            "red/0.png: not a readable image",
        ),
    ],
)
def test_bad_folders_are_one_clear_error(tmp_path, cli, damage, message):
    root = tmp_path / "imgs"
    damage(root)
    result = cli("train", write_config(tmp_path, folder_config(root)), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_reloaded_model_takes_raw_pixels(tmp_path, cli):
    root = make_folder(tmp_path / "imgs", 8)
    config = folder_config(root) | {"train": {"epochs": 1}}
    assert cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    model = keras.saving.load_model(tmp_path / "runs" / "latest" / "model.keras", safe_mode=True)
    assert model.input_shape == (None, 16, 16, 3)
