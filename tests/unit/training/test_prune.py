"""Pruning's schedule is Zhu and Gupta's cubic."""

import pytest

from dlkit.training.addons.prune import schedule


def test_the_schedule_is_zhu_and_guptas_cubic():
    assert schedule(0.8, 50, 100, 300) == 0.0 and schedule(0.8, 100, 100, 300) == 0.0
    assert schedule(0.8, 200, 100, 300) == pytest.approx(0.8 * (1 - 0.5**3))  # fast early, slow late
    assert schedule(0.8, 300, 100, 300) == pytest.approx(0.8) and schedule(0.8, 900, 100, 300) == pytest.approx(0.8)
