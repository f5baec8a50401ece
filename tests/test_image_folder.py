"""`image_folder`: the user's own images, any size and colour mode, streamed from disk."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import TINY, write_config
from dlkit.core.registries import DATASETS

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def make_folder(root, per_class=10):
    """Three colour classes in mixed sizes, modes and formats, as a user's folder would be."""
    rng = np.random.default_rng(0)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            size = (int(rng.integers(12, 40)), int(rng.integers(12, 40)))
            pixels = np.clip(np.array(colour) + rng.normal(0, 20, (*size, 3)), 0, 255).astype("uint8")
            image = Image.fromarray(pixels, "RGB")
            if i % 3 == 1:
                image = image.convert("RGBA")
            if i % 3 == 2:
                image.save(root / name / f"{i}.jpg", quality=90)
            else:
                image.save(root / name / f"{i}.png")
    return root


def folder_config(root, **options):
    return {
        **TINY,
        "name": "folder",
        "data": {
            "dataset": "image_folder",
            "options": {"path": str(root), "image_size": [16, 16], **options},
            "split": {"validation": 0.2, "test": 0.2},
            "preprocess": [{"type": "rescale", "scale": 1 / 255}],
            "batch_size": 8,
        },
        "model": {"layers": ["global_average_pooling2d", {"type": "dense", "units": 3, "activation": "softmax"}]},
        "train": {"epochs": 15, "optimizer": {"type": "adam", "learning_rate": 0.1}},
    }


def test_loader_streams_paths_and_names_classes(tmp_path):
    arrays = DATASETS.get("image_folder")(path=make_folder(tmp_path / "imgs"), image_size=[16, 16]).load()
    assert arrays.class_names == ["blue", "green", "red"]
    assert arrays.x_train.dtype.kind == "U" and len(arrays.x_train) == 30  # paths, not pixels
    assert arrays.shape == (16, 16, 3) and arrays.decode is not None
    pixels = arrays.decode(arrays.x_train[0]).numpy()
    assert pixels.shape == (16, 16, 3) and pixels.dtype == np.uint8


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


@pytest.mark.parametrize("antialias", [False, True])
def test_predict_uses_the_pixels_training_saw(tmp_path, antialias):
    """For a file in the training folder, predict's reader and training's decoder agree exactly."""
    from dlkit.data.images import antialiased, read_image

    options = {"path": make_folder(tmp_path / "imgs", 2), "image_size": [16, 16], "antialias": antialias}
    arrays = DATASETS.get("image_folder")(**options).load()
    for path in arrays.x_train:
        if path.endswith(".png"):
            pixels = read_image(path, (16, 16, 3), antialiased(options))
            np.testing.assert_array_equal(pixels, arrays.decode(path).numpy())


def test_grayscale_channels(tmp_path, cli):
    config = folder_config(make_folder(tmp_path / "imgs"), channels=1)
    result = cli("validate", write_config(tmp_path, config), "--dry-run", "--json")
    assert json.loads(result.stdout)["input_shape"] == [16, 16, 1]


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
