"""Paired augmentation of `segmentation_folder` (`options.augment`): the image and its mask move
together; photometric steps touch the image only; the training pipeline draws repeatably."""

import numpy as np
import pytest

from conftest import write_config
from dlkit.data.paired_augment import PairedAugment
from dlkit.data.splits import Split
from helpers.segmentation import pair, seg_config

GEOMETRIC = {"flip": ["horizontal", "vertical"], "rot90": True, "crop": 0.8, "zoom": 1.5}


def l_shape(n=8, size=24):
    """`n` copies of a white L (no symmetry a flip or turn keeps) on black, and its mask."""
    images = np.zeros((n, size, size, 3), "uint8")
    masks = np.zeros((n, size, size, 1), "uint8")
    for rows, cols in ((slice(3, 10), slice(5, 18)), (slice(10, 20), slice(5, 9))):
        images[:, rows, cols] = 255
        masks[:, rows, cols] = 2
    return images, masks


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mask_covers_the_augmented_shape(seed):
    """After flips, quarter turns, crops and zooms the mask still covers the shape's pixels (all
    but resampling's edge pixels agree) and holds no new class id; the examples of a batch are
    transformed differently, and the shape did move."""
    import tensorflow as tf

    images, masks = l_shape()
    x, y = PairedAugment(**GEOMETRIC).apply(tf.constant(images), tf.constant(masks), tf.constant([5, seed]))
    x, y = x.numpy(), y.numpy()
    shape, covered = x[..., 0] > 127, y[..., 0] == 2
    assert (shape == covered).mean() > 0.99
    assert set(np.unique(y)) <= {0, 2}
    assert (y != masks).any(axis=(1, 2, 3)).mean() >= 0.5  # most examples moved
    assert len({y[i].tobytes() for i in range(len(y))}) > 1  # each example its own transform


def test_photometric_steps_change_the_image_only():
    import tensorflow as tf

    images, masks = l_shape()
    images[images == 0] = 60  # room to move both ways
    x, y = PairedAugment(brightness=0.3, contrast=0.5).apply(
        tf.constant(images), tf.constant(masks), tf.constant([1, 2])
    )
    assert (y.numpy() == masks).all()
    assert x.dtype == tf.uint8 and (x.numpy() != images).any()


def test_pipeline_draws_by_seed_epoch_and_batch():
    """The same epoch draws the same transforms; another epoch others; validation is never augmented
    (the trainer passes `augment` for the training batches only)."""
    import tensorflow as tf

    from dlkit.data.pipeline import to_dataset

    images, masks = l_shape(6)
    augment = PairedAugment(**GEOMETRIC).apply
    epoch = tf.Variable(0, dtype=tf.int64)

    def masks_of_pass():
        batches = to_dataset(Split(images, masks), batch_size=4, shuffle=False, seed=3, epoch=epoch, augment=augment)
        return np.concatenate([y.numpy() for _, y in batches])

    first = masks_of_pass()
    assert (first == masks_of_pass()).all()
    epoch.assign(1)
    assert (first != masks_of_pass()).any()


def test_rot90_needs_square_images(tmp_path, cli):
    pair(tmp_path / "d", "a")
    options = {"image_size": [24, 32], "augment": {"rot90": True}}
    data = seg_config(tmp_path / "d")["data"]
    data["options"] |= options
    config = write_config(tmp_path, seg_config(tmp_path / "d", data=data))
    result = cli("validate", config)
    assert result.exit_code == 2
    assert "image_size must be square" in result.output and len(result.output.strip().splitlines()) == 1
