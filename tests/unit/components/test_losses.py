"""Losses against numpy: the soft Dice and cross-entropy + Dice."""

import numpy as np
import pytest


def test_dice_loss_against_numpy():
    """`dice` is 1 - the mean soft Dice over the classes; `crossentropy_dice` adds the cross-entropy."""
    from dlkit.core.registries import LOSSES

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, (2, 8, 8, 1))
    p = rng.dirichlet(np.ones(3), (2, 8, 8)).astype("float32")
    onehot = np.eye(3)[y[..., 0]]
    soft = (2 * (p * onehot).sum((0, 1, 2)) + 1) / (p.sum((0, 1, 2)) + onehot.sum((0, 1, 2)) + 1)
    dice = 1 - soft.mean()
    ce = -np.log(np.take_along_axis(p, y, axis=-1)).mean()
    assert float(LOSSES.parse("dice").build()(y, p)) == pytest.approx(dice, abs=1e-5)
    assert float(LOSSES.parse("crossentropy_dice").build()(y, p)) == pytest.approx(dice + ce, abs=1e-5)
