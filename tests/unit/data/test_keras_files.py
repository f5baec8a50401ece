"""Keras's download messages go to stderr, never to stdout."""

from __future__ import annotations

import numpy as np


def test_keras_download_messages_go_to_stderr(tmp_path, monkeypatch, capsys):
    import keras
    from keras.src.datasets import mnist
    from keras.src.utils import io_utils

    from dlkit.core.registries import DATASETS

    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras.src.backend.config, "_KERAS_DIR", str(home))
    served = tmp_path / "mnist.npz"
    rng = np.random.default_rng(0)
    arrays = {f"x_{s}": rng.integers(0, 255, (4, 28, 28), dtype="uint8") for s in ("train", "test")}
    np.savez(served, **arrays, y_train=np.arange(4), y_test=np.arange(4))

    def get_file(fname, *args, **kwargs):  # Keras's own download message, the file already here
        io_utils.print_msg(f"Downloading data from https://example.invalid/{fname}")
        return str(served)

    monkeypatch.setattr(mnist, "get_file", get_file)
    assert DATASETS.get("mnist")().load().x_train.shape == (4, 28, 28, 1)
    captured = capsys.readouterr()
    assert "Downloading data from" in captured.err and "Downloading" not in captured.out
