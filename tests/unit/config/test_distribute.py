"""`train.distribute` is refused for task gan."""

from __future__ import annotations

from conftest import REPO


def test_a_gan_run_refuses_distribute(tmp_path, cli):
    result = cli("validate", REPO / "configs" / "digits_gan.yaml", "--set", "train.distribute.devices=2")
    assert result.exit_code == 2
    assert "train.distribute" in result.stderr and "not supported for task gan" in result.stderr
