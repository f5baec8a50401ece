"""The input path without TensorFlow (Keras PyDatasets, `dlkit.data.batches`) keeps tf.data's
contract: the same batches where not shuffled (one-hot labels too), every example once per epoch in
an order keyed by the seed and the epoch, the rest of an epoch as the tail of its batches, and
files decoded to the pixels tf.data decodes."""

import numpy as np
import pytest

from conftest import write_config
from dlkit.config import load_config
from dlkit.data.batches import Epoch, SplitBatches
from dlkit.data.pipeline import to_dataset
from dlkit.data.splits import Split
from dlkit.engine.prepare import prepare_data
from helpers.image_folder import folder_config, make_folder

SPLIT = Split(np.arange(50, dtype="float32").reshape(25, 2), np.arange(25) % 3)


def _labels(batches) -> list[list]:
    return [np.asarray(y).tolist() for _, y in batches]


def test_unshuffled_batches_are_tf_datas():
    kwargs = dict(batch_size=4, shuffle=False, seed=3, one_hot=3)
    ours, theirs = list(SplitBatches(SPLIT, **kwargs)), list(to_dataset(SPLIT, **kwargs))
    assert len(ours) == len(theirs) == 7
    for (x, y), (tx, ty) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(x, tx.numpy())
        np.testing.assert_array_equal(y, ty.numpy())
        assert y.dtype == ty.numpy().dtype == np.float32


def test_each_epoch_is_a_seeded_order_of_every_example_and_resumes_as_its_tail():
    epoch = Epoch(0)
    batches = SplitBatches(SPLIT, batch_size=4, shuffle=True, seed=3, epoch=epoch)
    orders = []
    for e in range(3):
        epoch.assign(e)
        orders.append(np.concatenate([x[:, 0] / 2 for x, _ in batches]).astype(int).tolist())
        assert sorted(orders[-1]) == list(range(25))
    assert orders[0] != orders[1] != orders[2]
    again = Epoch(1)
    assert _labels(SplitBatches(SPLIT, batch_size=4, shuffle=True, seed=3, epoch=again)) == _labels(
        SplitBatches(SPLIT, batch_size=4, shuffle=True, seed=3, epoch=Epoch(1))
    )
    rest = SplitBatches(SPLIT, batch_size=4, shuffle=True, seed=3, epoch=again, skip=3)
    whole = SplitBatches(SPLIT, batch_size=4, shuffle=True, seed=3, epoch=again)
    assert len(rest) == 4 and _labels(rest) == _labels(whole)[3:]
    other_seed = SplitBatches(SPLIT, batch_size=4, shuffle=True, seed=4, epoch=again)
    assert _labels(other_seed) != _labels(whole)
    with pytest.raises(IndexError):
        rest[4]


def test_files_decode_to_the_pixels_tf_data_decodes(tmp_path):
    """PNG files (a third of the folder is JPEG: within a few levels, as between any two decoders)."""
    config = load_config(write_config(tmp_path, folder_config(make_folder(tmp_path / "imgs", 6))))
    data = prepare_data(config)
    split, decode = data.splits.train, data.about.decode
    kwargs = dict(batch_size=5, shuffle=False, seed=1, decode=decode)
    ours = np.concatenate([x for x, _ in SplitBatches(split, **kwargs)])
    theirs = np.concatenate([x.numpy() for x, _ in to_dataset(split, **kwargs)])
    png = np.array([path.endswith(".png") for path in split.x])
    assert ours.dtype == np.uint8 and ours.shape == theirs.shape == (len(split), 16, 16, 3)
    differ = np.abs(ours.astype(int) - theirs.astype(int))
    assert differ[png].max() <= 1 and differ[png].mean() < 0.01
    assert differ[~png].max() <= 8
