"""`train.prune`'s checks: the layers to prune exist; early stopping may not end the run first."""

from conftest import write_config
from helpers.prune import PRUNED, _with


def test_validate_dry_run_checks_the_layers_to_prune(tmp_path, cli):
    result = cli("validate", write_config(tmp_path, _with(layers=["lstm"])), "--dry-run")
    assert result.exit_code == 2 and "train.prune.layers.0: the model has no lstm layer to prune" in result.stderr
    assert cli("validate", write_config(tmp_path, PRUNED), "--dry-run").exit_code == 0


def test_early_stopping_before_the_target_is_refused(tmp_path, cli):
    data = {**PRUNED, "train": {**PRUNED["train"], "callbacks": [{"type": "early_stopping", "patience": 1}]}}
    result = cli("validate", write_config(tmp_path, data))
    assert result.exit_code == 2
    assert "train.callbacks.0.start_from_epoch: early stopping could end the run before pruning" in result.stderr
    data["train"]["callbacks"][0]["start_from_epoch"] = 2
    assert cli("validate", write_config(tmp_path, data)).exit_code == 0
