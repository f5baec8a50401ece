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


def _targets(tmp_path, transform: str, **options) -> object:
    config = _two_targets(tmp_path)
    config["data"]["options"] |= {"target_transform": transform, **options}
    return parse_config(config)


def test_a_log_model_ends_in_the_inverse_fitted_on_the_log_of_the_training_targets(tmp_path, cli):
    from dlkit.model.build import build_model

    config = _targets(tmp_path, "log")
    targets = np.array([[100.0, 7.0], [400.0, 7.0]])
    model = build_model(config, config.data.loader().model_input((3,)), "array", train_targets=targets)
    layer = model.layers[-1]
    assert (layer.name, layer.transform, model.output.dtype) == ("target_transform", "log", "float32")
    np.testing.assert_allclose(layer.mean, np.log(targets).mean(axis=0))
    np.testing.assert_allclose(layer.std, [np.log(4.0) / 2, 1.0])  # a constant column keeps std 1
    unscaled = _targets(tmp_path, "log1p", scale_target=False)
    model = build_model(unscaled, unscaled.data.loader().model_input((3,)), "array", train_targets=targets)
    assert (model.layers[-1].transform, model.layers[-1].mean, model.layers[-1].std) == ("log1p", 0.0, 1.0)
    sets = ("--set", "data.options.target_transform=log")
    dry = cli("validate", write_config(tmp_path, DIABETES), "--dry-run", "--json", *sets)
    last = json.loads(dry.stdout)["layers"][-1]
    assert (last["name"], last["class"], last["params"]) == ("target_transform", "TargetTransform", 0)


@pytest.mark.parametrize(
    ("transform", "smallest", "message"),
    [
        ("log", 0.0, "log needs every training target > 0, but the smallest of {where} in the training split is 0; "
                     "use log1p (targets > -1), standardize or none"),
        ("log1p", -1.5, "log1p needs every training target > -1, but the smallest of {where} in the training split "
                        "is -1.5; use standardize or none"),
    ],
)  # fmt: skip
def test_a_target_outside_the_transforms_domain_is_one_line_naming_the_smallest(tmp_path, transform, smallest, message):
    from dlkit.core.errors import ConfigError
    from dlkit.model.build import build_model

    config = _targets(tmp_path, transform)
    targets = np.array([[100.0, 7.0], [smallest, 7.0]])
    with pytest.raises(ConfigError) as refused:
        build_model(config, config.data.loader().model_input((3,)), "array", train_targets=targets)
    assert str(refused.value) == "data.options.target_transform: " + message.format(where=tmp_path / "d.npz")


def test_the_loss_compares_logs_and_the_default_is_the_configured_loss(tmp_path):
    from dlkit.engine.task import task_of
    from dlkit.layers.target import TransformedLoss

    loss = task_of(_targets(tmp_path, "log")).loss()
    assert isinstance(loss, TransformedLoss) and loss.transform == "log" and loss.name == "mean_squared_error"
    for transform in ("none", "standardize"):
        assert type(task_of(_targets(tmp_path, transform)).loss()).__name__ == "MeanSquaredError"


@pytest.mark.parametrize(
    ("config", "sets", "message"),
    [
        (TINY, ["data.options.target_transform=log"],
         "data.options.target_transform: only for task regression (task is 'classification')"),
        (DIABETES, ["data.options.target_transform=standardize", "data.options.scale_target=false"],
         "data.options.target_transform: standardize is what scale_target: true does; remove scale_target: false"),
        (DIABETES, ["data.options.target_transform=exp"],
         "data.options.target_transform: Input should be 'none', 'log'"),
    ],
)  # fmt: skip
def test_target_transform_refusals_are_one_line(tmp_path, cli, config, sets, message):
    result = cli("validate", write_config(tmp_path, config), *[a for s in sets for a in ("--set", s)])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_resolved_configs_name_the_transform_only_where_given(tmp_path, cli):
    given = cli("validate", write_config(tmp_path, DIABETES), "--json", "--set", "data.options.target_transform=log")
    assert json.loads(given.stdout)["data"]["options"] == {"scale_target": True, "target_transform": "log"}
    none = cli("validate", write_config(tmp_path, TINY), "--json", "--set", "data.options.target_transform=none")
    assert json.loads(none.stdout)["data"]["options"] == {}


def test_a_search_over_the_transform_is_not_judged_by_its_loss(tmp_path, cli):
    choice = {"type": "categorical", "choices": ["none", "log"]}
    config = {**DIABETES, "tune": {"trials": 2, "space": {"data.options.target_transform": choice}}}
    result = cli("validate", write_config(tmp_path, config))
    assert result.exit_code == 2
    assert "tune.metric: val_loss is in each trial's own data.options.target_transform space" in result.stderr
    assert "judge them by a metric in the target's units: one of val_mae" in result.stderr, result.stderr
    config["tune"]["metric"] = "val_mae"
    assert cli("validate", write_config(tmp_path, config)).exit_code == 0
