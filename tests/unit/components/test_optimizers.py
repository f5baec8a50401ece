"""Optimizers: each builds with clipping; SGD's momentum and Nesterov."""

import pytest

from dlkit.core.registries import OPTIMIZERS


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_builds_with_clipping(name):
    for clip in ({"clipnorm": 1.0}, {"clipvalue": 0.5}, {"global_clipnorm": 2.0}):
        optimizer = OPTIMIZERS.build({"type": name, "learning_rate": 0.02, **clip})
        key, value = next(iter(clip.items()))
        assert getattr(optimizer, key) == value
        assert float(optimizer.learning_rate) == pytest.approx(0.02)


def test_sgd_momentum_and_nesterov():
    optimizer = OPTIMIZERS.build({"type": "sgd", "momentum": 0.9, "nesterov": True})
    assert (optimizer.momentum, optimizer.nesterov) == (0.9, True)
