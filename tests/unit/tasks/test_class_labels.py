"""Class weights: balanced."""

import numpy as np
import pytest

from conftest import TINY
from helpers.training_options import _config


def test_balanced_class_weights(tmp_path):
    from dlkit.engine.prepare import prepare_data
    from dlkit.tasks.class_labels import class_weights

    config = _config(tmp_path, {**TINY, "train": {**TINY["train"], "class_weight": "balanced"}})
    data = prepare_data(config)
    weights = class_weights(config, data)
    counts = np.bincount(data.splits.train.y)
    assert weights == pytest.approx({i: len(data.splits.train.y) / (10 * n) for i, n in enumerate(counts)})

    config = _config(tmp_path, {**TINY, "train": {**TINY["train"], "class_weight": {"3": 2.0, 7: 0.5}}})
    assert class_weights(config, data) == {**dict.fromkeys(range(10), 1.0), 3: 2.0, 7: 0.5}
