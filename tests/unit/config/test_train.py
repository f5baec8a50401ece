"""`train.lr_schedule`'s checks: its arguments, and not together with reduce_lr_on_plateau."""

from conftest import TINY, write_config


def test_schedule_arguments_are_checked(tmp_path, cli):
    data = {**TINY, "train": {**TINY["train"], "lr_schedule": {"type": "piecewise", "boundaries": [2], "values": [1]}}}
    result = cli("validate", write_config(tmp_path, data))
    assert result.exit_code == 2
    assert "train.lr_schedule" in result.stderr and "values needs 2 rates" in result.stderr


def test_a_schedule_and_reduce_lr_on_plateau_are_refused_together(tmp_path, cli):
    train = {**TINY["train"], "lr_schedule": "cosine", "callbacks": ["reduce_lr_on_plateau"]}
    result = cli("validate", write_config(tmp_path, {**TINY, "train": train}))
    assert result.exit_code == 2
    assert "train.lr_schedule" in result.stderr and "keep one of the two" in result.stderr
