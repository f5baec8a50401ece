"""Prepared data: the training split scored on a seeded, sorted sample only when it is large."""

import numpy as np

from conftest import TINY
from dlkit.data import prepared as prepare_module
from dlkit.engine.prepare import prepare_data


def test_the_sample_is_seeded_sorted_and_only_for_a_large_training_split(monkeypatch):
    from dlkit.config.loader import parse_config

    monkeypatch.setattr(prepare_module, "SCORED_TRAIN", 50)
    data = prepare_data(parse_config(TINY))
    first, again = data.scored("train", 7), data.scored("train", 7)
    assert len(first) == 50 and np.array_equal(first.x, again.x) and np.array_equal(first.y, again.y)
    assert not np.array_equal(first.y, data.scored("train", 8).y)
    assert len(data.scored("test", 7)) == len(data.splits.test) > 50  # other splits whole
