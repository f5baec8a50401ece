"""Table columns as graph inputs (`inputs: [columns.NAME]`): checked against the data, by the dry run
and by plain `validate` against the header."""

import pytest

from conftest import TINY, write_config
from helpers.recommender import _table_config


@pytest.mark.parametrize(
    "inputs, message",
    [
        (["columns.citi"], "model.layers.0.inputs.0: no column 'columns.citi'; did you mean 'columns.city'?"),
        (["columns.y"], "model.layers.0.inputs.0: no column 'columns.y'; did you mean"),  # the target is no input
    ],
)
def test_a_column_that_is_not_an_input_is_named(inputs, message, tmp_path, cli):
    config = _table_config(tmp_path, [{"type": "dense", "units": 1, "inputs": inputs}])
    result = cli("validate", config, "--dry-run")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_columns_of_data_that_is_no_table(tmp_path, cli):
    layers = [{"type": "flatten", "inputs": ["columns.pixel"]}, {"type": "dense", "units": 10, "activation": "softmax"}]
    result = cli("validate", write_config(tmp_path, {**TINY, "model": {"layers": layers}}), "--dry-run")
    assert result.exit_code == 2
    assert "model.layers.0.inputs.0: no column 'columns.pixel'; the data is not a table" in result.stderr


def test_a_layer_cannot_take_a_column_name(tmp_path, cli):
    layers = [{"type": "dense", "units": 1, "name": "columns.age"}]
    result = cli("validate", _table_config(tmp_path, layers))
    assert result.exit_code == 2 and "model.layers.0.name: columns.NAME stands for a table's column" in result.stderr


def test_validate_checks_columns_against_the_header_without_building(tmp_path, cli):
    """Plain `validate` (no TensorFlow) reads the CSV's header: the misspelt column, file and line."""
    config = _table_config(tmp_path, [{"type": "dense", "units": 1, "inputs": ["columns.age", "columns.citty"]}])
    result = cli("validate", config)
    assert result.exit_code == 2
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if "columns.citty" in text)
    expected = f"{config}:{line}: model.layers.0.inputs.1: no column 'columns.citty'; did you mean 'columns.city'?"
    assert expected in result.stderr, result.stderr
