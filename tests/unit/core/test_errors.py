"""The errors a user can cause and their exit codes (SPEC: 2 for config and usage, 1 while running)."""

from __future__ import annotations

import pytest

from dlkit.core.errors import ConfigError, DataError, DlkitError, Interrupted, UsageError, WriteError


@pytest.mark.parametrize(
    ("error", "code"),
    [(ConfigError, 2), (UsageError, 2), (DataError, 1), (WriteError, 1), (DlkitError, 1)],
)
def test_exit_codes(error, code):
    assert issubclass(error, DlkitError) and error("x").exit_code == code


def test_an_interrupted_run_says_how_to_go_on():
    stopped = Interrupted("runs/tiny-20260101-120000")
    assert stopped.exit_code == 1 and stopped.run_dir == "runs/tiny-20260101-120000"
    assert str(stopped) == "interrupted; the run can go on with: dlkit train --resume runs/tiny-20260101-120000"
