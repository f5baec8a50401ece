"""`dlkit init DATA`: the config made for each kind of data trains an epoch."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.init import KINDS, _init


@pytest.mark.slow
@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "regression"])  # the table's MLP trains already
def test_each_config_trains_an_epoch(cli, tmp_path, kind):
    result, out = _init(cli, tmp_path, kind)
    assert result.exit_code == 0, result.output
    trained = cli("train", out, "--set", "train.epochs=1", "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.output
    assert (Path(trained.stdout.strip().splitlines()[-1]) / "model.keras").is_file()
