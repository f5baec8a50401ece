"""The Keras datasets without network: tiny files in the Keras formats read from options.path and
from the Keras cache, the same arrays as Keras's own loaders give, the offline message, and unsafe
pickles refused."""

import gzip
import importlib
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from conftest import TINY, write_config
from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.data.dataset import DatasetInfo
from helpers.keras_datasets import (
    _cache,
    _cifar10,
    _cifar_batch,
    _digits,
    _imdb,
    _mnist,
    _ragged,
    _words,
    no_network,  # noqa: F401 (autouse: no test here reaches the network)
)


def _idx_gz(path, array):
    header = (0x0800 + array.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype("uint8").tobytes())


def _fashion(folder, n_train=30, n_test=10):
    a = _digits(n_train, n_test)
    folder.mkdir(parents=True, exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        _idx_gz(folder / f"{prefix}-images-idx3-ubyte.gz", a[f"x_{split}"])
        _idx_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", a[f"y_{split}"])
    return folder, a


def _cifar100(folder, n_train=30, n_test=10):
    folder.mkdir(parents=True, exist_ok=True)
    for name, start, n in (("train", 0, n_train), ("test", n_train, n_test)):
        ids = np.arange(start, start + n)
        labels = {b"fine_labels": [int(i) % 100 for i in ids], b"coarse_labels": [int(i) % 20 for i in ids]}
        (folder / name).write_bytes(pickle.dumps(_cifar_batch(start, n, labels), 4))
    return folder


def _reuters(folder):
    rng = np.random.default_rng(2)
    np.savez(folder / "reuters.npz", x=_words(rng, 40), y=np.arange(40) % 46)
    return folder / "reuters.npz"


def _boston(folder):
    rng = np.random.default_rng(3)
    np.savez(folder / "boston_housing.npz", x=rng.normal(size=(40, 13)), y=rng.uniform(5, 50, 40))
    return folder / "boston_housing.npz"


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_formats_get_a_channel_axis(tmp_path, name):
    path, written = (_mnist if name == "mnist" else _fashion)(tmp_path / "copy")
    dataset = DATASETS.get(name)(path=path)
    arrays = dataset.load()
    assert arrays.x_train.shape == (30, 28, 28, 1) and arrays.x_test.shape == (10, 28, 28, 1)
    assert arrays.x_train.dtype == np.uint8 and arrays.kind == "image"
    assert np.array_equal(arrays.x_train[..., 0], written["x_train"])
    assert arrays.y_train.dtype == np.int64 and np.array_equal(arrays.y_test, written["y_test"])
    assert dataset.info() == DatasetInfo((28, 28, 1), arrays.class_names)
    expected = [str(d) for d in range(10)] if name == "mnist" else ["T-shirt/top", "Trouser"]
    assert arrays.class_names[: len(expected)] == expected and len(arrays.class_names) == 10


@pytest.mark.parametrize(
    ("name", "options", "classes", "first_last"),
    [
        ("cifar10", {}, 10, ("airplane", "truck")),
        ("cifar100", {}, 100, ("apple", "worm")),
        ("cifar100", {"label_mode": "coarse"}, 20, ("aquatic_mammals", "vehicles_2")),
    ],
)
def test_cifar_batches_become_channels_last(tmp_path, name, options, classes, first_last):
    folder = _cifar10(tmp_path / "cifar-10-batches-py") if name == "cifar10" else _cifar100(tmp_path / "c100")
    dataset = DATASETS.get(name)(path=folder, **options)
    arrays = dataset.load()
    assert arrays.x_train.shape == (20 if name == "cifar10" else 30, 32, 32, 3)
    assert arrays.x_test.shape == (4 if name == "cifar10" else 10, 32, 32, 3)
    assert arrays.x_train.dtype == np.uint8 and arrays.y_train.dtype == np.int64
    n_train = len(arrays.x_train)
    for i, x in ((0, arrays.x_train), (n_train, arrays.x_test)):
        assert np.array_equal(x[3, 5, 7], [5, 7, i + 3])  # (row, column, example number) as written
    assert np.array_equal(arrays.y_train, np.arange(n_train) % classes)
    assert np.array_equal(arrays.y_test, np.arange(n_train, n_train + len(arrays.x_test)) % classes)
    assert (arrays.class_names[0], arrays.class_names[-1]) == first_last and len(arrays.class_names) == classes
    assert dataset.info() == DatasetInfo((32, 32, 3), arrays.class_names)


def test_word_sequences_are_encoded_like_keras_and_padded_in_front(tmp_path):
    # Reuters' 46 topics let each newswire be found again by its label after Keras's shuffle.
    np.savez(tmp_path / "reuters.npz", x=_ragged([[1, 2, 3], [4] * 8, [5, 6]]), y=np.array([0, 1, 2]))
    dataset = DATASETS.get("reuters")(path=tmp_path / "reuters.npz", num_words=8, sequence_length=4, test_split=0)
    arrays = dataset.load()
    assert arrays.x_test is None and arrays.kind == "array" and arrays.x_train.dtype == np.int32
    by_label = arrays.x_train[np.argsort(arrays.y_train)]
    # start 1, indices shifted by 3, those from num_words=8 up become oov 2, the end kept, zeros in front
    assert by_label.tolist() == [[1, 4, 5, 6], [7, 7, 7, 7], [0, 1, 2, 2]]
    assert dataset.info() == DatasetInfo((4,), [str(t) for t in range(46)], "array")

    imdb = DATASETS.get("imdb")(path=_imdb(tmp_path), sequence_length=7)
    arrays = imdb.load()
    assert arrays.x_train.shape == (30, 7) and arrays.x_test.shape == (10, 7) and arrays.y_train.dtype == np.int64
    assert (
        imdb.info()
        == DatasetInfo((7,), ["negative", "positive"], "array")
        == DatasetInfo((7,), arrays.class_names, "array")
    )


def _keras_layout(root):
    """Each dataset where `keras.utils.get_file` would return it, and where `options.path` takes it."""
    fashion, _ = _fashion(root / "fashion")
    return {
        "mnist": (root, _mnist(root)[0]),
        "fashion_mnist": (fashion, fashion),
        "cifar100": (root, _cifar100(root / "cifar-100-python-target" / "cifar-100-python")),
        "imdb": (root, _imdb(root)),
        "reuters": (root, _reuters(root)),
        "boston_housing": (root, _boston(root)),
    }


# Keras's cifar10 loader assumes batches of 10,000, so it cannot read a tiny copy; cifar100 shares its parser.
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("mnist", {}),
        ("fashion_mnist", {}),
        ("cifar100", {"label_mode": "coarse"}),
        ("imdb", {"num_words": 15, "skip_top": 4, "sequence_length": 6}),
        ("imdb", {"start_char": None, "oov_char": None, "index_from": 0, "seed": 1}),
        ("reuters", {"num_words": 20, "test_split": 0.25, "index_from": 1}),
        ("boston_housing", {"test_split": 0.3, "seed": 4}),
    ],
)
def test_local_copy_gives_what_the_keras_loader_gives(tmp_path, monkeypatch, name, options):
    served, path = _keras_layout(tmp_path / "files")[name]
    # Keras's loader, reading our tiny file where it would have downloaded the real one.
    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda fname, *args, **kwargs: str(served / fname))
    downloaded = DATASETS.get(name)(**options).load()
    local = DATASETS.get(name)(path=path, **options).load()
    for field in ("x_train", "y_train", "x_test", "y_test"):
        a, b = getattr(local, field), getattr(downloaded, field)
        assert a.dtype == b.dtype and np.array_equal(a, b), field
    assert (local.class_names, local.feature_names) == (downloaded.class_names, downloaded.feature_names)
    assert DATASETS.get(name)(**options).info() == DatasetInfo(local.x_train.shape[1:], local.class_names, local.kind)


def test_the_keras_cache_is_read_before_downloading(tmp_path):
    cache = _cache(tmp_path)
    _, mnist = _mnist(cache)
    _, fashion = _fashion(cache / "fashion-mnist")
    _cifar10(cache / "cifar-10-batches-py-target" / "cifar-10-batches-py")  # Keras 3's layout
    _cifar100(cache / "cifar-100-python")  # Keras 2's
    _boston(cache)
    assert np.array_equal(DATASETS.get("mnist")().load().x_test[..., 0], mnist["x_test"])
    assert np.array_equal(DATASETS.get("fashion_mnist")().load().y_train, fashion["y_train"])
    assert DATASETS.get("cifar10")().load().x_test.shape == (4, 32, 32, 3)
    assert DATASETS.get("cifar100")(label_mode="coarse").load().y_test.max() < 20
    boston = DATASETS.get("boston_housing")().load()
    assert boston.x_train.shape == (32, 13) and boston.y_test.dtype == np.float32 and boston.class_names is None
    assert boston.feature_names[-1] == "LSTAT"
    # An incomplete folder is not taken: the download is tried, and fails here.
    (cache / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="cannot download fashion_mnist"):
        DATASETS.get("fashion_mnist")().load()


@pytest.mark.parametrize(
    ("name", "put"),
    [
        ("fashion_mnist", "the folder of train-labels-idx1-ubyte.gz, "),
        ("cifar10", "the extracted cifar-10-batches-py folder at {cache}/cifar-10-batches-py "),
        ("cifar100", "the extracted cifar-100-python folder at {cache}/cifar-100-python "),
        ("imdb", "imdb.npz at {cache}/imdb.npz "),
        ("reuters", "reuters.npz at {cache}/reuters.npz "),
        ("boston_housing", "boston_housing.npz at {cache}/boston_housing.npz "),
    ],
)
def test_each_offline_message_names_the_file(tmp_path, name, put):
    with pytest.raises(DataError) as raised:
        DATASETS.get(name)().load()
    assert str(raised.value).startswith(f"cannot download {name} (no network). Put ")
    assert put.format(cache=_cache(tmp_path)) in str(raised.value)


def test_validate_dry_run_knows_the_shape_without_data(tmp_path, cli):
    data = {
        **TINY,
        "task": "binary",
        "data": {"dataset": "imdb", "options": {"sequence_length": 50, "num_words": 100}},
        "model": {
            "layers": [
                {"type": "embedding", "input_dim": 100, "output_dim": 4},
                "global_average_pooling1d",
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ]
        },
    }
    result = cli("validate", write_config(tmp_path, data), "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["input_shape"] == [50]  # and no download was tried: there is no network


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _npy(array=None, pickled: bytes = b"") -> bytes:
    """An .npy member; with `pickled`, an object array whose payload is those bytes."""
    out = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(out, array)
    else:
        np.lib.format.write_array_header_1_0(out, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    return out.getvalue() + pickled


@pytest.mark.parametrize("name", ["cifar10", "imdb"])
def test_a_pickle_that_would_run_code_is_refused(tmp_path, name):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_RunsCode(marker), 4)
    if name == "cifar10":
        path = _cifar10(tmp_path / "cifar-10-batches-py")
        (path / "data_batch_1").write_bytes(evil)
    else:
        path = tmp_path / "imdb.npz"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("x_train.npy", _npy(pickled=evil))
            for member in ("y_train", "x_test", "y_test"):
                archive.writestr(f"{member}.npy", _npy(np.zeros(1, "int64")))
    with pytest.raises(DataError, match=r"refusing to unpickle (posix|os|nt)\.system: only numpy arrays"):
        DATASETS.get(name)(path=path).load()
    assert not marker.exists()


def test_broken_local_copies_are_one_line_errors(tmp_path):
    _mnist(tmp_path, name="no_test.npz", x_test=None, y_test=None)
    _mnist(tmp_path, name="big.npz", size=32)
    _mnist(tmp_path, name="labels.npz", y_test=np.full(10, 10, "uint8"))
    fashion, _ = _fashion(tmp_path / "fashion")
    (fashion / "train-images-idx3-ubyte.gz").unlink()
    (tmp_path / "fake.gz").write_bytes(b"not gzip")
    cifar = _cifar10(tmp_path / "cifar")
    (cifar / "test_batch").write_bytes(pickle.dumps([1, 2, 3]))
    for name, path, message in [
        ("mnist", tmp_path / "missing.npz", "data.options.path: no such file: "),
        ("mnist", tmp_path / "no_test.npz", "no_test.npz: missing arrays x_test, y_test; expected x_train"),
        ("mnist", tmp_path / "big.npz", r"not mnist in the Keras format; expected \(28, 28, 1\) uint8 images"),
        ("mnist", tmp_path / "labels.npz", r"mnist labels must be 0..9. Received: 10..10"),
        ("fashion_mnist", fashion, "missing train-images-idx3-ubyte.gz; fashion_mnist needs the folder of"),
        ("fashion_mnist", tmp_path / "fake.gz", "data.options.path: fashion_mnist needs the folder of"),
        ("cifar10", cifar, "test_batch: not a CIFAR batch; expected a dict of 'data'"),
        ("imdb", tmp_path / "fake.gz", "fake.gz: cannot read as .npz"),
    ]:
        with pytest.raises(DataError, match=message):
            DATASETS.get(name)(path=path).load()
