"""`image_folder`: the user's own images streamed from disk; the pixels predict reads are those
training saw; files checked once are not checked again until they change."""

import json

import numpy as np
import pytest

from conftest import write_config
from dlkit.core.registries import DATASETS
from helpers.image_folder import folder_config, make_folder


def test_loader_streams_paths_and_names_classes(tmp_path):
    arrays = DATASETS.get("image_folder")(path=make_folder(tmp_path / "imgs"), image_size=[16, 16]).load()
    assert arrays.class_names == ["blue", "green", "red"]
    assert arrays.x_train.dtype.kind == "U" and len(arrays.x_train) == 30  # paths, not pixels
    assert arrays.shape == (16, 16, 3) and arrays.decode is not None
    pixels = arrays.decode(arrays.x_train[0]).numpy()
    assert pixels.shape == (16, 16, 3) and pixels.dtype == np.uint8


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


def test_image_files_checked_once_are_not_checked_again_until_they_change(tmp_path, monkeypatch):
    from dlkit.data import image_folder

    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 2)
    loader = DATASETS.get("image_folder")(path=folder, image_size=[16, 16])
    loader.load()
    checked = []
    monkeypatch.setattr(image_folder, "check_image", checked.append)
    loader.load()
    assert checked == []  # the same files: not opened again
    (folder / "red" / "new.png").write_bytes(b"not an image")
    monkeypatch.undo()
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(Exception, match="new.png: not a readable image"):
        loader.load()
