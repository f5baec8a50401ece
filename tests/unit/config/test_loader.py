"""Config errors as users see them: one line each, the dotted key path, a hint, exit 2; `--set`,
`extends` and the task's defaults."""

from __future__ import annotations

import pytest

from conftest import REPO, write_config
from dlkit.config import load_config
from dlkit.core.errors import ConfigError
from helpers.config import tiny
from helpers.iris import TABLE, _iris_csv

QUICKSTART = REPO / "configs" / "quickstart.yaml"


def error_of(tmp_path, cli, data) -> str:
    path = write_config(tmp_path, data)
    result = cli("validate", path)
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"model__layers__0__filtres": 3}, "model.layers.0.filtres: unknown key; did you mean 'filters'?"),
        ({"model__layers__0__type": "conv2"}, "model.layers.0.type: unknown layer 'conv2'; did you mean 'conv2d'?"),
        ({"trian": {}}, "trian: unknown key; did you mean 'train'?"),
        ({"data__batch_size": "many"}, "data.batch_size: Input should be a valid integer"),
        ({"data__batch_size": 0}, "data.batch_size: Input should be greater than 0. Received: 0"),
        ({"data__dataset": "digts"}, "data.dataset: unknown dataset 'digts'; did you mean 'digits'?"),
        ({"data__options": {"path": "x.npz"}}, "data.options.path: unknown key"),
        (
            {"train__optimizer": {"type": "adam", "learning_rate": -1}},
            "train.optimizer.learning_rate: Input should be greater than 0. Received: -1",
        ),
        (
            {"train__loss": "mse"},
            "train.loss.type: 'mean_squared_error' does not fit task 'classification'; use one of "
            "categorical_crossentropy, crossentropy_dice, dice, sparse_categorical_crossentropy",
        ),
        ({"train__metrics": ["mae"]}, "train.metrics.0: 'mae' does not fit task 'classification'"),
        (
            {"train__checkpoint": {"monitor": "val_acc"}},
            "train.checkpoint.monitor: 'val_acc' is not logged; did you mean 'val_accuracy'?",
        ),
        ({"task": "clasification"}, "task: unknown task 'clasification'; did you mean 'classification'?"),
        (
            {"data__preprocess": [{"type": "random_flip"}]},
            "data.preprocess.0.type: 'random_flip' is an augmentation step; put it under data.augment",
        ),
        ({"task": "regresion"}, "task: unknown task 'regresion'; did you mean 'regression'?"),
        ({"task": 3}, "task: unknown task 3; valid: binary, classification, gan, multilabel, regression, segmentation"),
        (
            {"train__metrics": ["auc"]},
            "train.metrics.0: 'auc' does not fit task 'classification'; metrics for task 'classification': "
            "accuracy, f1, precision, recall, top_k_accuracy",
        ),
        (
            {"eval": {"metrics": ["mae"]}},
            "eval.metrics.0: 'mae' does not fit task 'classification'; metrics for task 'classification': ",
        ),
        (
            {"model__layers__2__type": "linear"},
            "model.layers.2.type: unknown layer 'linear'; did you mean 'dense'? (PyTorch's Linear is Keras's Dense;",
        ),
        (
            {"model__layers__0__out_channels": 8},
            "model.layers.0.out_channels: unknown key; did you mean 'filters'? (PyTorch's out_channels is Keras's "
            "filters)",
        ),
        (
            {"model__layers__0__in_channels": 1},
            "model.layers.0.in_channels: unknown key; Keras infers the input channels from the previous layer; "
            "remove it",
        ),
        (
            {"model__layers__1": {"type": "dropout", "p": 0.5}},
            "model.layers.1.p: unknown key; did you mean 'rate'? (PyTorch's dropout p is Keras's rate)",
        ),
        (
            {"train__optimizer": {"type": "adam", "lr": 0.1}},
            "train.optimizer.lr: unknown key; did you mean 'learning_rate'? (PyTorch's lr is Keras's learning_rate)",
        ),
        ({"model__layers": []}, "model.layers: List should have at least 1 item"),
        ({"name": "../escape"}, "name: String should match pattern"),
    ],
)
def test_config_errors_name_the_key(tmp_path, cli, changes, message):
    assert message in error_of(tmp_path, cli, tiny(**changes))


def test_every_error_is_reported_on_its_own_line(tmp_path, cli):
    stderr = error_of(tmp_path, cli, tiny(data__batch_size=0, model__layers__0__filtres=3))
    lines = stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("dlkit: error: ") for line in lines)


def test_monitoring_validation_without_a_validation_split_is_refused(tmp_path, cli):
    stderr = error_of(tmp_path, cli, tiny(data__split={"validation": 0}))
    assert "train.checkpoint.monitor: 'val_loss' is not logged (data.split.validation is 0" in stderr


def test_graph_inputs_must_name_an_earlier_layer(tmp_path, cli):
    data = tiny()
    data["model"]["layers"][1] = {"type": "flatten", "inputs": ["conv"]}
    assert "model.layers.1.inputs.0: no earlier layer is named 'conv'" in error_of(tmp_path, cli, data)


def test_yaml_problems_say_where(tmp_path, cli):
    path = tmp_path / "bad.yaml"
    path.write_text("name: a\nname: b\n")
    result = cli("validate", path)
    assert result.exit_code == 2 and "bad.yaml:2:1: invalid YAML: duplicate key 'name'" in result.stderr
    path.write_text("data: [unclosed\n")
    assert "invalid YAML" in cli("validate", path).stderr
    path.write_text("!!python/object:os.system {}\n")
    assert "invalid YAML" in cli("validate", path).stderr


def test_missing_file(cli, tmp_path):
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "nope.yaml: no such config file" in result.stderr


def test_validate_show_prints_the_resolved_config(cli):
    result = cli("validate", QUICKSTART, "--set", "train.epochs=3", "--show")
    assert result.exit_code == 0
    assert "epochs: 3" in result.stdout and "beta_1: 0.9" in result.stdout  # defaults filled in


def test_set_overrides_any_value():
    config = load_config(
        QUICKSTART,
        [
            "train.epochs=3",
            "data.batch_size=64",
            "train.optimizer.learning_rate=3e-4",
            "model.layers.0.filters=16",
            "train.optimizer=sgd",
        ],
    )
    assert config.train.epochs == 3 and config.data.batch_size == 64
    assert config.model.layers[0].filters == 16
    assert config.train.optimizer.type_name == "sgd"


def test_set_gives_arguments_to_a_bare_name(tmp_path):
    path = write_config(tmp_path, tiny(train__optimizer="rmsprop"))
    assert load_config(path, ["train.optimizer.rho=0.5"]).train.optimizer.rho == 0.5


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("train.epochs", "expected KEY=VALUE"),
        ("model.layers.9.units=3", "no item 9 in a list of 8"),
        ("seed.x=1", "seed is a value, not a section"),
    ],
)
def test_bad_set_is_a_config_error(assignment, message):
    with pytest.raises(ConfigError, match=message):
        load_config(QUICKSTART, [assignment])


def test_extends_deep_merges_and_replaces_lists(tmp_path):
    write_config(tmp_path, tiny(), "base.yaml")
    child = write_config(
        tmp_path,
        {"extends": "base.yaml", "name": "child", "train": {"epochs": 5}, "data": {"preprocess": []}},
        "child.yaml",
    )
    config = load_config(child)
    assert config.name == "child" and config.train.epochs == 5
    assert config.train.optimizer.learning_rate == 0.01  # merged from the base
    assert config.data.preprocess == [] and config.data.batch_size == 64


def test_extends_cycle_is_refused(tmp_path):
    write_config(tmp_path, {"extends": "b.yaml"}, "a.yaml")
    write_config(tmp_path, {"extends": "a.yaml"}, "b.yaml")
    with pytest.raises(ConfigError, match="circular"):
        load_config(tmp_path / "a.yaml")


def test_task_defaults_fill_loss_and_metrics(tmp_path):
    data = tiny()
    data["task"] = "binary"
    data["model"]["layers"][-1] = {"type": "dense", "units": 1, "activation": "sigmoid"}
    config = load_config(write_config(tmp_path, data))
    assert config.train.loss.type_name == "binary_crossentropy"
    assert [m.type_name for m in config.train.metrics] == ["accuracy", "auc"]


def test_errors_say_in_which_file_and_line_the_key_is(tmp_path, cli):
    (tmp_path / "base.yaml").write_text(
        "name: base\ndata:\n  dataset: digits\nmodel:\n  layers:\n    - flatten\n    - {type: dense, units: 10}\n"
        "train:\n  optimizer: {type: adam, learning_rate: -1}\n"
    )
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\nmodel:\n  layers:\n    - flatten\n    - {type: dense, unitz: 10}\n"
    )
    result = cli("validate", tmp_path / "child.yaml", "--set", "train.epochs=0")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert f"dlkit: error: {tmp_path / 'child.yaml'}:5: model.layers.1.unitz: unknown key" in lines[0]
    assert any(f"{tmp_path / 'base.yaml'}:9: train.optimizer.learning_rate" in line for line in lines)
    assert any("--set train.epochs=0: train.epochs" in line for line in lines)


def test_pytorch_class_names_are_accepted(tmp_path):
    data = tiny(model__layers__0__type="Conv2d")
    data["model"]["layers"].insert(1, {"type": "MaxPool2d", "pool_size": 2})
    layers = load_config(write_config(tmp_path, data)).model.layers
    assert [layer.type_name for layer in layers[:2]] == ["conv2d", "max_pooling2d"]


def test_long_lists_in_messages_are_capped(tmp_path, cli):
    long = "x" * 2000
    many_keys = {f"key{i}": i for i in range(40)}
    cases = [
        tiny(model__layers__0__zzz=1),  # no close key: the valid ones are listed
        tiny(task=long),
        tiny(name=long),
        tiny(model__layers__0__type=long),
        tiny(data__batch_size=long),
        {**tiny(), **{long + str(i): 1 for i in range(3)}},
        {**tiny(), "train": many_keys},
    ]
    for data in cases:
        stderr = error_of(tmp_path, cli, data)
        lines = stderr.splitlines()
        assert all(len(line) < 300 for line in lines), max(lines, key=len)
        assert len(lines) <= 11
    assert "and 30 more errors" in error_of(tmp_path, cli, {**tiny(), "train": many_keys})


def test_set_without_equals_names_the_form_that_works(tmp_path, cli):
    _iris_csv(tmp_path)
    result = cli("validate", write_config(tmp_path, TABLE), "--set", "train.epochs", "3")
    assert result.exit_code == 2
    assert "train.epochs: expected KEY=VALUE, e.g. --set train.epochs=3" in result.stderr
    assert "unexpected extra argument" not in result.stderr
