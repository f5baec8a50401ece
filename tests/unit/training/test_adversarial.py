"""`train.adversarial`: the batches trained on hold attacked examples where the ratio says, within eps."""

from __future__ import annotations

import numpy as np

from conftest import write_config
from helpers.adversarial import ADVERSARIAL


def test_the_first_ratio_of_each_batch_is_attacked_within_eps(tmp_path):
    import tensorflow as tf

    from dlkit.config import load_config
    from dlkit.training.addons.adversarial import train_on_attacks
    from dlkit.training.trainer import Session

    config = load_config(write_config(tmp_path, ADVERSARIAL))
    session = Session(config)
    model, seen = session.model, []
    model.train_step = lambda batch: seen.append(np.asarray(batch[0])) or {}
    train_on_attacks(model, config, session.data)
    x = session.data.splits.train.x[:10]
    model.train_step((tf.constant(x), tf.constant(session.data.splits.train.y[:10])))
    trained_on = seen[0]
    moved = np.abs(trained_on - x.astype("float32")).reshape(10, -1).max(axis=1)
    assert (moved[:5] > 0).all() and (moved[:5] <= 0.1 * 255 + 1e-3).all()  # ratio 0.5 of 10: the first 5
    assert (moved[5:] == 0).all()
    assert trained_on.min() >= 0 and trained_on.max() <= 255
