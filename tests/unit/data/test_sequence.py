"""`sequence`: windows over a time series and their labels."""

import numpy as np

from dlkit.core.registries import DATASETS
from helpers.sequence import series_csv


def test_windows_and_labels(tmp_path):
    arrays = DATASETS.get("sequence")(path=series_csv(tmp_path / "s.csv"), target="wave", window=10,
                                      horizon=2, stride=5).load()  # fmt: skip
    assert arrays.x_train.shape == (78, 10, 3) and arrays.kind == "sequence"
    wave = np.sin(np.arange(400) / 8)
    np.testing.assert_allclose(arrays.y_train[1], wave[5 + 10 + 2 - 1], atol=1e-5)
    np.testing.assert_allclose(arrays.x_train[1, :, 0], wave[5:15], atol=1e-5)
    rises = DATASETS.get("sequence")(path=tmp_path / "s.csv", target="wave", window=10, label="rises").load()
    assert set(np.unique(rises.y_train)) == {0, 1} and rises.class_names == ["falls", "rises"]
