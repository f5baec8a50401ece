"""Opening a study: a server error is not taken for a lost race."""

from __future__ import annotations

import pytest

from conftest import TINY, write_config
from dlkit.config import load_config
from dlkit.tuning.study import open_folder, open_study


def test_a_server_error_is_not_taken_for_a_race(tmp_path):
    """Only a lost race is tried again: a storage that cannot work fails at once, in one line."""
    config = load_config(write_config(tmp_path, {**TINY, "tune": {"metric": "val_accuracy", "space": {
        "data.batch_size": {"type": "categorical", "choices": [32, 64]}}}}))  # fmt: skip
    (tmp_path / "not-a-folder").write_text("")
    folder = open_folder(config, tmp_path / "runs", study="s", storage=f"sqlite:///{tmp_path}/not-a-folder/x.db",
                         new=False)  # fmt: skip
    from dlkit.errors import UsageError

    with pytest.raises(UsageError, match="cannot open the study: .*unable to open database file"):
        open_study(folder, config)
