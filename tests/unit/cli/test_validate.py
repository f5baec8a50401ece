"""`dlkit validate` says one line; `--show` prints the resolved config."""

from __future__ import annotations

from conftest import REPO

QUICKSTART = REPO / "configs" / "quickstart.yaml"


def test_validate_says_one_line_and_show_prints_the_resolved_config(cli):
    result = cli("validate", QUICKSTART)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"{QUICKSTART}: valid (classification on digits, 30 epochs)"]
    shown = cli("validate", QUICKSTART, "--show", "--set", "train.epochs=3")
    assert shown.exit_code == 0 and "epochs: 3" in shown.stdout and "beta_1: 0.9" in shown.stdout
