"""Writers of each Keras dataset format, with few examples (labels cycle through the classes so
each has several), and `no_network`, the autouse fixture that keeps Keras's loaders off the network."""

import pickle
import socket

import keras
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """No test here reaches the network (a real attempt may hang) or the user's own Keras cache."""

    def unreachable(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    home = tmp_path / "keras_home"
    home.mkdir()  # Keras falls back to /tmp/.keras where this is not a writable folder
    monkeypatch.setenv("KERAS_HOME", str(home))
    # Keras reads KERAS_HOME once, at import: give its downloads the same empty folder.
    monkeypatch.setattr(keras.src.backend.config, "_KERAS_DIR", str(home))


def _cache(tmp_path):
    return tmp_path / "keras_home" / "datasets"


def _digits(n_train=30, n_test=10, size=28):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n_train + n_test, size, size), dtype="uint8")
    y = (np.arange(n_train + n_test) % 10).astype("uint8")
    return {"x_train": x[:n_train], "y_train": y[:n_train], "x_test": x[n_train:], "y_test": y[n_train:]}


def _mnist(folder, n_train=30, n_test=10, size=28, name="mnist.npz", **changes):
    arrays = {**_digits(n_train, n_test, size), **changes}
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / name, **{k: v for k, v in arrays.items() if v is not None})
    return folder / name, arrays


def _cifar_batch(start, n, labels):
    """Red = the row, green = the column, blue = the example's number: a wrong layout shows."""
    planes = np.empty((n, 3, 32, 32), "uint8")
    planes[:, 0] = np.arange(32)[:, None]
    planes[:, 1] = np.arange(32)[None, :]
    planes[:, 2] = np.arange(start, start + n)[:, None, None]
    return {b"batch_label": b"tiny", b"data": planes.reshape(n, 3072), **labels}


def _cifar10(folder, per_batch=4):
    folder.mkdir(parents=True, exist_ok=True)
    files = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(files):
        labels = [np.int64(i * per_batch + j) % 10 for j in range(per_batch)]  # numpy scalars: allowed too
        # Protocol 4, like the real files' protocol 2 from Python 2, stores bytes as bytes.
        (folder / name).write_bytes(pickle.dumps(_cifar_batch(i * per_batch, per_batch, {b"labels": labels}), 4))
    return folder


def _ragged(sequences):
    array = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array[i] = list(sequence)
    return array


def _words(rng, n):
    return _ragged([rng.integers(0, 30, rng.integers(1, 12)).tolist() for _ in range(n)])


def _imdb(folder):
    rng = np.random.default_rng(1)
    y = np.arange(40) % 2
    np.savez(folder / "imdb.npz", x_train=_words(rng, 30), y_train=y[:30], x_test=_words(rng, 10), y_test=y[30:])
    return folder / "imdb.npz"
