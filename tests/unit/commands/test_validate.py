"""`dlkit validate` (without --dry-run) checks the config against its data's header, folders and
label column, and every layer argument's type, without loading the data or TensorFlow."""

import re
from pathlib import Path

import pytest

from conftest import REPO, TINY, write_config
from helpers.validate_data import iris_config, iris_csv


def validate(cli, folder: Path, config: dict, *args):
    result = cli("validate", write_config(folder, config), *args)
    assert "Traceback" not in result.output + result.stderr
    assert all(len(line) < 300 for line in result.stderr.splitlines())
    return result


def test_a_table_that_fits_is_valid(tmp_path, cli):
    result = validate(cli, tmp_path, iris_config(iris_csv(tmp_path / "iris.csv")))
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout  # the one line of a valid config


@pytest.mark.parametrize(
    "options, key, message",
    [
        ({"target": "specis"}, "target", "no column 'specis' in .*iris.csv; did you mean 'species'\\?"),
        ({"features": ["sepal_length", "petal_widht"]}, "features.1", "no column 'petal_widht'.*'petal_width'"),
        ({"categorical": ["colour"]}, "categorical.0", "no column 'colour'"),
        ({"drop": ["Sepal Lenght"]}, "drop.0", "no column 'sepal_lenght'.*'sepal_length'"),
        ({"path": "nowhere/iris.csv"}, "path", "no such file: nowhere/iris.csv"),
        ({"test_path": "nowhere.csv"}, "test_path", "no such file: nowhere.csv"),
    ],
)
def test_table_columns_and_files_are_checked_against_the_header(tmp_path, cli, options, key, message):
    config = iris_config(iris_csv(tmp_path / "iris.csv"), **options)
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "config.yaml:" in result.stderr and f"data.options.{key}: " in result.stderr
    assert re.search(message, result.stderr), result.stderr


def test_the_error_names_the_line_of_the_key(tmp_path, cli):
    csv = iris_csv(tmp_path / "iris.csv")
    config = tmp_path / "iris.yaml"
    config.write_text(
        f"task: classification\ndata:\n  dataset: csv\n  options:\n    path: {csv}\n    target: specis\n"
        "model:\n  layers:\n    - {type: dense, units: 3, activation: softmax}\n"
    )
    result = cli("validate", config)
    assert result.exit_code == 2
    assert f"{config}:6: data.options.target: no column 'specis'" in result.stderr


def test_a_test_table_needs_the_training_columns(tmp_path, cli):
    test = tmp_path / "test.csv"
    test.write_text("sepal_length,sepal_width,petal_length,species\n5.1,3.5,1.4,setosa\n")
    result = validate(cli, tmp_path, iris_config(iris_csv(tmp_path / "iris.csv"), test_path=str(test)))
    assert result.exit_code == 2
    assert "data.options.test_path: no column 'petal_width' in" in result.stderr


def test_the_last_layer_must_have_a_unit_per_class_of_the_target_column(tmp_path, cli):
    result = validate(cli, tmp_path, iris_config(iris_csv(tmp_path / "iris.csv"), units=10))
    assert result.exit_code == 2
    assert "config.yaml:" in result.stderr
    assert (
        "model.layers.1.units: 10 units, but "
        f"{tmp_path / 'iris.csv'} column 'species' has 3 classes (setosa, versicolor, virginica); set units: 3"
    ) in result.stderr


def test_integer_labels_are_class_indices_up_to_the_largest(tmp_path, cli):
    """As training numbers them: labels 1, 2, 3 are classes 0..3 (0 has no example)."""
    csv = iris_csv(tmp_path / "iris.csv", labels=["1", "2", "3"])
    assert validate(cli, tmp_path, iris_config(csv, units=4)).exit_code == 0
    result = validate(cli, tmp_path, iris_config(csv, units=3))
    assert result.exit_code == 2 and "has 4 classes (0, 1, 2, 3); set units: 4" in result.stderr


def test_a_binary_task_takes_two_classes_and_one_sigmoid_unit(tmp_path, cli):
    csv = iris_csv(tmp_path / "iris.csv")
    result = validate(cli, tmp_path, iris_config(csv, units=1, activation="sigmoid", task="binary"))
    assert result.exit_code == 2
    assert "task: 'binary' takes 2 classes, but" in result.stderr and "use task: classification" in result.stderr
    two = iris_csv(tmp_path / "two.csv", labels=["yes", "no"])
    result = validate(cli, tmp_path, iris_config(two, units=2, activation="softmax", task="binary"))
    assert result.exit_code == 2
    assert "model.layers.1.units: 2 units, but a binary task takes one sigmoid unit; set units: 1" in result.stderr
    assert validate(cli, tmp_path, iris_config(two, units=1, activation="sigmoid", task="binary")).exit_code == 0


def digits_head(*layers, loss=None) -> dict:
    """TINY (digits, 10 classes) with another head."""
    config = {**TINY, "model": {"layers": ["flatten", *layers]}}
    if loss is not None:
        config["train"] = {**TINY["train"], "loss": loss}
    return config


@pytest.mark.parametrize(
    "config, key, message",
    [
        (digits_head({"type": "dense", "units": 3, "activation": "softmax"}), "1.units", "digits has 10 classes"),
        (digits_head({"type": "dense", "units": 1, "activation": "softmax"}), "1.units", "set units: 10"),
        (
            digits_head({"type": "dense", "units": 10, "activation": "sigmoid"}),
            "1.activation",
            "sigmoid scores each of the 10 classes on its own.*use activation: softmax",
        ),
        (
            digits_head({"type": "dense", "units": 10}),
            "1.activation",
            "no activation gives logits, but train.loss \\(sparse_categorical_crossentropy\\) takes probabilities",
        ),
        (
            digits_head(
                {"type": "dense", "units": 10, "activation": "softmax"},
                loss={"type": "sparse_categorical_crossentropy", "from_logits": True},
            ),
            "1.activation",
            "takes logits \\(from_logits: true\\), but the last layer applies softmax",
        ),
        (
            digits_head({"type": "dense", "units": 10}, {"type": "activation", "activation": "relu"}),
            "2.activation",
            "'relu' does not give class probabilities",
        ),
    ],
)
def test_clear_mistakes_in_the_last_layer(tmp_path, cli, config, key, message):
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2
    assert f"model.layers.{key}: " in result.stderr
    assert re.search(message, result.stderr), result.stderr


def test_a_dry_run_checks_the_last_layer_too_but_leaves_files_to_the_build(tmp_path, cli):
    result = validate(cli, tmp_path, digits_head({"type": "dense", "units": 10, "activation": "sigmoid"}), "--dry-run")
    assert result.exit_code == 2 and "model.layers.1.activation: sigmoid scores each" in result.stderr
    config = {
        **TINY,
        "task": "binary",
        "data": {
            "dataset": "sequence",
            "options": {"path": str(tmp_path / "none.csv"), "features": ["a", "b"], "target": "a", "label": "rises"},
        },
        "model": {"layers": ["flatten", {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    }
    assert validate(cli, tmp_path, config, "--dry-run").exit_code == 0  # the shape is known without the file
    assert validate(cli, tmp_path, config).exit_code == 2


@pytest.mark.parametrize(
    "head, loss",
    [
        ([{"type": "dense", "units": 10}, "softmax"], None),
        ([{"type": "dense", "units": 10}], {"type": "sparse_categorical_crossentropy", "from_logits": True}),
        ([{"type": "dense", "units": 10, "activation": "Softmax"}], None),
    ],
)
def test_heads_that_fit_pass(tmp_path, cli, head, loss):
    result = validate(cli, tmp_path, digits_head(*head, loss=loss))
    assert result.exit_code == 0, result.stderr


def test_softmax_on_one_unit_in_a_binary_task(tmp_path, cli):
    config = {
        **TINY,
        "task": "binary",
        "data": {"dataset": "breast_cancer"},
        "model": {"layers": [{"type": "dense", "units": 1, "activation": "softmax"}]},
    }
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2
    assert "model.layers.0.activation: softmax over 1 unit always gives 1.0; use activation: sigmoid" in result.stderr


def test_regression_units_against_the_target(tmp_path, cli):
    config = {
        **TINY,
        "task": "regression",
        "data": {"dataset": "diabetes"},
        "model": {"layers": [{"type": "dense", "units": 3}]},
    }
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2
    assert "model.layers.0.units: 3 units, but diabetes has 1 target(s)" in (result.stderr)


def test_a_gan_has_no_class_check(cli):
    assert cli("validate", REPO / "configs" / "digits_gan.yaml").exit_code == 0


def image_folder_config(root: Path, units: int) -> dict:
    return {
        **TINY,
        "data": {"dataset": "image_folder", "options": {"path": str(root), "image_size": [8, 8]}},
        "model": {"layers": ["flatten", {"type": "dense", "units": units, "activation": "softmax"}]},
    }


def test_image_folder_classes_are_its_sub_folders(tmp_path, cli):
    root = tmp_path / "images"
    for name in ("cat", "dog", "fox"):
        (root / name).mkdir(parents=True)
        (root / name / "1.png").write_bytes(b"not read by validate")
    assert validate(cli, tmp_path, image_folder_config(root, 3)).exit_code == 0
    result = validate(cli, tmp_path, image_folder_config(root, 2))
    assert result.exit_code == 2 and f"{root} has 3 classes (cat, dog, fox); set units: 3" in result.stderr
    (root / "emu").mkdir()
    result = validate(cli, tmp_path, image_folder_config(root, 4))
    assert (
        result.exit_code == 2
        and "data.options.path: " in result.stderr
        and "emu: empty class folder" in (result.stderr)
    )
    result = validate(cli, tmp_path, image_folder_config(tmp_path / "nowhere", 3))
    assert result.exit_code == 2 and "data.options.path: no such folder: " in result.stderr


def test_text_csv_columns_and_classes(tmp_path, cli):
    path = tmp_path / "reviews.csv"
    path.write_text("review,stars\n" + "\n".join(f"text {i},{i % 4}" for i in range(20)) + "\n")
    config = {
        **TINY,
        "data": {
            "dataset": "text_csv",
            "options": {"path": str(path), "text_column": "review", "target": "star"},
        },
        "model": {
            "layers": [
                {"type": "embedding", "input_dim": 100, "output_dim": 4},
                "flatten",
                {"type": "dense", "units": 4, "activation": "softmax"},
            ]
        },
    }
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2 and "data.options.target: no column 'star' in" in result.stderr
    config["data"]["options"]["target"] = "stars"
    assert validate(cli, tmp_path, config).exit_code == 0
    config["model"]["layers"][-1]["units"] = 5
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2 and "column 'stars' has 4 classes (0, 1, 2, 3); set units: 4" in result.stderr


def test_sequence_columns(tmp_path, cli):
    path = tmp_path / "series.csv"
    path.write_text("s1,s2\n" + "\n".join(f"{i},{i * 2}" for i in range(50)) + "\n")
    config = {
        **TINY,
        "task": "regression",
        "data": {"dataset": "sequence", "options": {"path": str(path), "target": "s3", "window": 5}},
        "model": {"layers": [{"type": "lstm", "units": 4}, {"type": "dense", "units": 1}]},
    }
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2 and "data.options.target: no column 's3' in" in result.stderr
    config["data"]["options"]["target"] = 5
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2 and "data.options.target: a column index below 2 for" in result.stderr
    config["data"]["options"]["target"] = "s2"
    assert validate(cli, tmp_path, config).exit_code == 0


def test_a_shipped_config_without_its_data_says_how_to_make_it(tmp_path, cli):
    missing = tmp_path / "data" / "breast_cancer.csv"
    result = cli("validate", REPO / "configs" / "tabular_csv.yaml", "--set", f"data.options.path={missing}")
    assert result.exit_code == 2
    assert result.stderr.startswith("dlkit: error: --set data.options.path=")  # the --set, cut to 80 characters
    assert f": data.options.path: no such file: {missing}; " in result.stderr
    assert f"`dlkit to-csv breast_cancer {missing}` writes it" in result.stderr


def test_a_keras_dataset_copy_must_be_there(tmp_path, cli):
    result = cli("validate", REPO / "configs" / "mnist_mlp.yaml", "--set", f"data.options.path={tmp_path}/mnist.npz")
    assert result.exit_code == 2 and "data.options.path: no such file: " in result.stderr


@pytest.mark.parametrize(
    "layer, key, message",
    [
        ({"type": "dense", "units": "thirty-two"}, "units", "Input should be a valid integer. Received: 'thirty-two'"),
        ({"type": "dense", "units": True}, "units", "Input should be a valid integer. Received: True"),
        ({"type": "dense", "units": 0}, "units", "Input should be greater than 0. Received: 0"),
        ({"type": "conv2d", "filters": 8.5, "kernel_size": 3}, "filters", "Input should be a valid integer"),
        (
            {"type": "conv2d", "filters": 8, "kernel_size": "3x3"},
            "kernel_size",
            "Input should be an integer or a list of",
        ),
        (
            {"type": "conv2d", "filters": 8, "kernel_size": [3, True]},
            "kernel_size",
            "Input should be an integer or a list",
        ),
        ({"type": "dropout", "rate": "half"}, "rate", "Input should be a valid number. Received: 'half'"),
        ({"type": "dropout", "rate": 1.5}, "rate", "Input should be less than or equal to 1. Received: 1.5"),
        ({"type": "dense", "units": 4, "activation": 3}, "activation", "Input should be a valid string. Received: 3"),
        ({"type": "dense", "units": 4, "use_bias": "yes"}, "use_bias", "Input should be a valid boolean"),
    ],
)
def test_layer_argument_types_are_checked_without_a_dry_run(tmp_path, cli, layer, key, message):
    config = {**TINY, "model": {"layers": [layer, "flatten", {"type": "dense", "units": 10, "activation": "softmax"}]}}
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 2
    assert "config.yaml:" in result.stderr and f"model.layers.0.{key}: {message}" in result.stderr


@pytest.mark.parametrize(
    "layer",
    [
        {"type": "conv2d", "filters": 8, "kernel_size": [3, 3], "strides": 1, "dilation_rate": [1, 1]},
        {"type": "dropout", "rate": 0},  # an int is a float
        {"type": "batch_normalization", "epsilon": "1e-3", "momentum": 1},  # PyYAML reads 1e-3 as a string
        {"type": "leaky_relu", "negative_slope": 0.2},
        {"type": "dense", "units": 4, "activation": None, "kernel_initializer": {"class_name": "HeNormal"}},
    ],
)
def test_layer_arguments_of_the_right_type_pass(tmp_path, cli, layer):
    config = {**TINY, "model": {"layers": [layer, "flatten", {"type": "dense", "units": 10, "activation": "softmax"}]}}
    result = validate(cli, tmp_path, config)
    assert result.exit_code == 0, result.stderr


def test_missing_cells_are_those_pandas_reads_as_missing():
    """Validate counts a label column's classes without pandas, skipping the cells the loader drops."""
    from pandas._libs.parsers import STR_NA_VALUES

    from dlkit.data.peek import MISSING_CELLS

    assert set(STR_NA_VALUES) == MISSING_CELLS
