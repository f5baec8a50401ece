"""`train.adversarial`'s settings: bad ones are config errors at their key."""

from __future__ import annotations

import pytest

from conftest import TINY, write_config


@pytest.mark.parametrize(
    "adversarial, message",
    [
        ({"method": "deepfool"}, "train.adversarial.method: unknown attack 'deepfool'"),
        ({"eps": 0}, "train.adversarial.eps: Input should be greater than 0"),
        ({"ratio": 1.5}, "train.adversarial.ratio: Input should be less than or equal to 1"),
        ({"steps": 0}, "train.adversarial.steps: Input should be greater than 0"),
    ],
)
def test_bad_settings_are_config_errors(tmp_path, cli, adversarial, message):
    data = {**TINY, "train": {**TINY["train"], "adversarial": adversarial}}
    result = cli("validate", write_config(tmp_path, data))
    assert result.exit_code == 2 and message in result.stderr, result.stderr
