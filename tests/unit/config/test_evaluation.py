"""`eval.calibrate`: refused in one line where it cannot work."""

from __future__ import annotations

import pytest

from conftest import TINY
from dlkit.config.loader import parse_config
from dlkit.core.errors import ConfigError
from helpers.calibration import CALIBRATED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "task": "regression",
                "data": {"dataset": "diabetes"},
                "model": {"layers": [{"type": "dense", "units": 1}]},
            },
            "eval.calibrate: only for task binary or classification (task is 'regression')",
        ),
        (
            {"data": {**TINY["data"], "split": {"validation": 0}}},
            "eval.calibrate: the temperature is fitted on the validation split, but data.split.validation is 0",
        ),
        ({"eval": {"calibrate": "platt"}}, "eval.calibrate: Input should be 'temperature'"),
    ],
)
def test_calibrate_is_refused_in_one_line_where_it_cannot_work(changes, message):
    with pytest.raises(ConfigError) as refused:
        parse_config({**CALIBRATED, **changes})
    assert message in str(refused.value) and "\n" not in str(refused.value)
