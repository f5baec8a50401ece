"""Task regression without training: targets scaled inside the model (shown by the dry run and the
resolved config, kept in float32)."""

import json

import numpy as np
import pytest

from conftest import TINY, write_config
from dlkit.config import parse_config
from helpers.regression_targets import REGRESSION, _two_targets

DIABETES = {**REGRESSION, "data": {"dataset": "diabetes"}, "model": {"layers": [{"type": "dense", "units": 1}]}}


def test_dry_run_shows_the_layer_without_adding_parameters(tmp_path, cli):
    config = write_config(tmp_path, DIABETES)
    reports = {}
    for scale in ("true", "false"):
        result = cli("validate", config, "--dry-run", "--json", "--set", f"data.options.scale_target={scale}")
        assert result.exit_code == 0, result.stderr
        reports[scale] = json.loads(result.stdout)
    last = reports["true"]["layers"][-1]
    assert (last["name"], last["class"], last["params"]) == ("scale_target", "Rescaling", 0)
    assert "scale_target" not in {row["name"] for row in reports["false"]["layers"]}
    assert reports["true"]["params"] == reports["false"]["params"] == 10 + 1


@pytest.mark.parametrize(("config", "shown"), [(DIABETES, {"scale_target": True}), (TINY, {})])
def test_resolved_config_shows_whether_targets_are_scaled(tmp_path, cli, config, shown):
    result = cli("validate", write_config(tmp_path, config), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"]["options"] == shown


def test_scale_target_is_refused_for_a_task_without_a_number_to_predict(tmp_path, cli):
    result = cli("validate", write_config(tmp_path, TINY), "--set", "data.options.scale_target=true")
    assert result.exit_code == 2
    assert "data.options.scale_target" in result.stderr and "only for task regression" in result.stderr


def test_mixed_precision_keeps_the_scaling_in_float32(tmp_path):
    from dlkit.model.build import build_model

    config = _two_targets(tmp_path)
    config["train"]["precision"] = "mixed_float16"
    config = parse_config(config)
    targets = np.array([[100.0, 7.0], [300.0, 7.0]])
    model = build_model(config, config.data.loader().model_input((3,)), "array", train_targets=targets)
    layer = model.layers[-1]
    assert (layer.name, layer.dtype_policy.name, model.output.dtype) == ("scale_target", "float32", "float32")
    assert (layer.offset, layer.scale) == ([200.0, 7.0], [100.0, 1.0])
