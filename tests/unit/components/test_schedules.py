"""Learning-rate schedules, rate by step: step, exponential, piecewise, cosine with warm-up."""

import pytest

from dlkit.core.registries import SCHEDULES


def _rates(schedule: dict, steps: list[int], learning_rate=1e-3, steps_per_epoch=10, epochs=10):
    built = SCHEDULES.build(schedule, learning_rate=learning_rate, steps_per_epoch=steps_per_epoch, epochs=epochs)
    if isinstance(built, float):
        return [built] * len(steps)
    return [float(built(step)) for step in steps]


def test_step_schedule_multiplies_the_rate_every_n_epochs():
    assert _rates({"type": "step", "every": 2, "factor": 0.5}, [0, 19, 20, 45]) == pytest.approx(
        [1e-3, 1e-3, 5e-4, 2.5e-4]
    )


def test_exponential_schedule_decays_per_epoch():
    rates = _rates({"type": "exponential", "decay_rate": 0.5, "decay_epochs": 2}, [0, 20, 40])
    assert rates == pytest.approx([1e-3, 5e-4, 2.5e-4])
    stairs = _rates({"type": "exponential", "decay_rate": 0.5, "staircase": True}, [9, 10])
    assert stairs == pytest.approx([1e-3, 5e-4])


def test_piecewise_schedule_uses_its_own_values():
    rates = _rates({"type": "piecewise", "boundaries": [3, 6], "values": [0.1, 0.01, 0.001]}, [0, 31, 61])
    assert rates == pytest.approx([0.1, 0.01, 0.001])


def test_cosine_schedule_warms_up_then_decays_to_alpha():
    rates = _rates({"type": "cosine", "warmup_epochs": 2, "alpha": 0.1}, [0, 10, 20, 60, 100])
    assert rates[0] == pytest.approx(0.0)
    assert rates[1] == pytest.approx(5e-4)
    assert rates[2] == pytest.approx(1e-3)
    assert rates[2] > rates[3] > rates[4]
    assert rates[4] == pytest.approx(1e-4)
