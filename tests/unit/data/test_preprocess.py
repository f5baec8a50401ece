"""Preprocessing steps as layers: shapes through resize, reshape, grayscale and rgb, and the
augmentation steps."""

import json

import keras

from conftest import TINY, write_config
from dlkit.core.registries import PREPROCESS


def test_grayscale_and_rgb_steps(tmp_path, cli):
    for steps, expected in [(["rgb"], [8, 8, 3]), (["rgb", "grayscale"], [8, 8, 1])]:
        data = {**TINY, "data": {**TINY["data"], "preprocess": steps}}
        summary = json.loads(cli("validate", write_config(tmp_path, data), "--dry-run", "--json").stdout)
        last_step = summary["layers"][len(steps)]["output_shape"]  # layer 0 is the input
        assert last_step == expected


def test_augmentation_steps_build_and_keep_shapes():
    inputs = keras.Input((8, 8, 3))
    for entry in [{"type": "random_brightness", "factor": 0.2}, {"type": "random_crop", "height": 6, "width": 6},
                  {"type": "random_translation", "height_factor": 0.1, "width_factor": 0.1},
                  {"type": "random_contrast", "factor": 0.2}, {"type": "random_flip", "mode": "vertical"}]:  # fmt: skip
        spec = PREPROCESS.parse(entry)
        assert spec.augment
        shape = tuple(spec.build()(inputs).shape[1:])
        assert shape == ((6, 6, 3) if entry["type"] == "random_crop" else (8, 8, 3))


def test_preprocessing_resize_and_reshape(tmp_path, cli):
    data = {
        **TINY,
        "data": {
            **TINY["data"],
            "preprocess": [{"type": "resize", "height": 16, "width": 16}, {"type": "rescale", "scale": 1 / 255}],
        },
    }
    result = cli("validate", write_config(tmp_path, data), "--dry-run", "--json")
    summary = json.loads(result.stdout)
    assert summary["input_shape"] == [8, 8, 1]  # raw pixels in; the model resizes them
    conv = next(layer for layer in summary["layers"] if layer["class"] == "Conv2D")
    assert conv["output_shape"] == [14, 14, 8]
    flat = {
        **TINY,
        "data": {**TINY["data"], "preprocess": [{"type": "reshape", "shape": [64]}]},
        "model": {"layers": [{"type": "dense", "units": 10, "activation": "softmax"}]},
    }
    summary = json.loads(cli("validate", write_config(tmp_path, flat), "--dry-run", "--json").stdout)
    assert summary["params"] == 650
