"""The dry run's summary (`dlkit validate --dry-run --json`): parameters and shapes."""

import json


def test_quickstart_dry_run_reports_parameters_and_shapes(cli):
    from conftest import REPO

    result = cli("validate", REPO / "configs" / "quickstart.yaml", "--dry-run", "--json")
    summary = json.loads(result.stdout)
    # conv 1->32: 320, conv 32->32: 9,248, dense 512->128: 65,664, dense 128->10: 1,290
    assert summary["params"] == 320 + 9248 + 65664 + 1290
    assert summary["input_shape"] == [8, 8, 1] and summary["output_shape"] == [10]
    table = cli("validate", REPO / "configs" / "quickstart.yaml", "--dry-run")
    assert "params: 76,522" in table.stdout
