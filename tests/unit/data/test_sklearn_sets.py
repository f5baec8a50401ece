"""scikit-learn's bundled tables as datasets: shapes, names, and `dlkit list datasets`."""

import numpy as np
import pytest
import sklearn.datasets

from dlkit.core.registries import DATASETS
from dlkit.data.dataset import DatasetInfo


@pytest.mark.parametrize(
    ("name", "shape"), [("iris", (150, 4)), ("wine", (178, 13)), ("breast_cancer", (569, 30)), ("diabetes", (442, 10))]
)
def test_tables_load_as_float32_features_with_names(name, shape):
    bunch = getattr(sklearn.datasets, f"load_{name}")()
    dataset = DATASETS.get(name)()
    arrays = dataset.load()
    assert arrays.kind == "array" and arrays.x_train.shape == shape and arrays.x_train.dtype == np.float32
    assert np.allclose(arrays.x_train, bunch.data) and arrays.x_test is None and arrays.y_test is None
    assert arrays.feature_names == list(bunch.feature_names)
    if name == "diabetes":
        assert arrays.y_train.dtype == np.float32 and arrays.class_names is None
    else:
        assert arrays.y_train.dtype == np.int64 and arrays.class_names == list(bunch.target_names)
    assert np.allclose(arrays.y_train, bunch.target)
    assert dataset.info() == DatasetInfo(shape[1:], arrays.class_names, "array")


def test_listed_with_their_shapes(cli):
    listing = cli("list", "datasets").stdout
    for name in ("iris", "wine", "breast_cancer", "diabetes"):
        assert name in listing
    assert "150 x 4 float32" in listing
