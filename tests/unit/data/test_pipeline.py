"""The tf.data pipeline: the rest of an epoch is the tail of its batches; `data.cache` decodes every
split once as uint8."""

import numpy as np
import pytest

from conftest import write_config
from dlkit.config import load_config
from dlkit.data.pipeline import in_memory
from dlkit.engine.prepare import prepare_data
from helpers.image_folder import folder_config, make_folder


def test_cache_decodes_every_split_once_as_uint8(tmp_path):
    config = load_config(write_config(tmp_path, folder_config(make_folder(tmp_path / "imgs", 8))))
    streamed = prepare_data(config)
    cached = in_memory(streamed)
    assert cached.about.decode is None and streamed.about.decode is not None
    for name in ("train", "val", "test"):
        paths, pixels = streamed.split(name).x, cached.split(name).x
        assert pixels.dtype == np.uint8 and pixels.shape == (len(paths), 16, 16, 3)
        np.testing.assert_array_equal(pixels, np.stack([streamed.about.decode(p).numpy() for p in paths]))
        np.testing.assert_array_equal(cached.split(name).y, streamed.split(name).y)
    assert in_memory(cached) is cached  # data already in memory is left as it is


@pytest.mark.parametrize("shuffle, decode", [(True, False), (False, False), (True, True)])
def test_the_rest_of_an_epoch_is_the_tail_of_its_batches(shuffle, decode):
    import tensorflow as tf

    from dlkit.data.pipeline import to_dataset
    from dlkit.data.splits import Split

    x, y = np.arange(50, dtype="float32").reshape(25, 2), np.arange(25)
    kwargs = dict(batch_size=4, shuffle=shuffle, seed=3, epoch=tf.Variable(2, dtype=tf.int64))
    if decode:  # streamed examples: "paths" decoded per epoch
        x, kwargs["decode"] = np.array([str(i) for i in range(25)]), lambda path: tf.strings.to_number(path)
    split = Split(x, y)
    whole = [b[1].numpy().tolist() for b in to_dataset(split, **kwargs)]
    rest = to_dataset(split, skip=3, **kwargs)
    assert rest.cardinality() == 4 and [b[1].numpy().tolist() for b in rest] == whole[3:]
