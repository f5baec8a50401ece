"""The tf.data pipeline: the rest of an epoch is the tail of its batches; `data.cache` decodes every
split once as uint8."""

import numpy as np
import pytest
from PIL import Image

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


def test_the_next_run_reads_the_decoded_pixels_back_until_a_file_changes(tmp_path, monkeypatch):
    import dlkit.data.pipeline as pipeline

    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    folder = make_folder(tmp_path / "imgs", 8)
    config = load_config(write_config(tmp_path, folder_config(folder)))
    first = in_memory(prepare_data(config))
    assert len(list((tmp_path / "cache" / "decoded").glob("*.npy"))) == 3  # train, val, test

    def undecoded(paths, decode):
        raise AssertionError("decoded again")

    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "_decoded", undecoded)
        again = in_memory(prepare_data(config))  # the next run: read back
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(again.split(name).x, first.split(name).x)
    other = load_config(write_config(tmp_path, folder_config(folder, image_size=[8, 8])))
    assert in_memory(prepare_data(other)).split("train").x.shape[1:] == (8, 8, 3)  # another size: decoded
    changed = prepare_data(config).split("test").x[0]
    Image.new("RGB", (20, 20), (0, 255, 0)).save(changed, format=Image.open(changed).format)
    calls = []
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "_decoded", lambda paths, decode: calls.append(len(paths)) or undecoded_pixels(paths))
        after = in_memory(prepare_data(config))
    assert calls == [len(first.split("test").x)]  # only the split holding the changed file
    np.testing.assert_array_equal(after.split("train").x, first.split("train").x)


def undecoded_pixels(paths):
    """Stand-in pixels for `_decoded`: zeros of the folder config's size."""
    return np.zeros((len(paths), 16, 16, 3), np.uint8)


def test_decoded_pixels_kept_within_the_budget_and_not_on_a_full_disk(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    from dlkit.data import fingerprint

    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(fingerprint, "ARRAYS_BYTES", 2_500)
    files = [tmp_path / f"{i}.png" for i in range(3)]
    for path in files:
        path.write_bytes(b"x")
    arrays = [np.full((1, 10, 10, 3), i, np.uint8) for i in range(3)]  # 300 bytes each

    def entry(*indices, key="key"):
        return fingerprint.array_entry("decoded", key, [str(files[i]) for i in indices])

    for i, array in enumerate(arrays):
        fingerprint.keep_array(entry(i), array)
    for i, array in enumerate(arrays):
        np.testing.assert_array_equal(fingerprint.recall_array(entry(i), array.shape, np.uint8), array)
    assert fingerprint.recall_array(entry(0, key="other key"), arrays[0].shape, np.uint8) is None
    assert fingerprint.recall_array(entry(0), (2, 10, 10, 3), np.uint8) is None
    big = np.zeros((1, 20, 20, 3), np.uint8)  # 1,200 bytes: the two least recently used make room
    fingerprint.keep_array(entry(0, 1), big)
    kept = list((tmp_path / "cache" / "decoded").glob("*.npy"))
    assert sum(path.stat().st_size for path in kept) <= 2_500 and len(kept) < 4
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 100, 100))
    fingerprint.keep_array(entry(2, 0), arrays[2])  # a full disk: not kept
    assert fingerprint.recall_array(entry(2, 0), arrays[2].shape, np.uint8) is None


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
