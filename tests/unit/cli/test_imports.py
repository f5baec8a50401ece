"""`--help`, `validate` and config errors must not wait for TensorFlow."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _loaded_after(statement: str, modules=("tensorflow", "keras", "optuna")) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in {tuple(modules)!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return set(done.stdout.split())


def test_cli_import_loads_no_tensorflow():
    assert _loaded_after("import dlkit.cli") == set()


def test_config_and_registries_load_no_tensorflow():
    assert (
        _loaded_after("import dlkit.config, dlkit.core.registries; dlkit.config.load_config('configs/quickstart.yaml')")
        == set()
    )


@pytest.mark.parametrize("config", ["quickstart", "digits_gan"])
def test_validate_command_loads_no_tensorflow(config):
    statement = (
        "from typer.testing import CliRunner; from dlkit.cli import app; "
        f"r = CliRunner().invoke(app, ['validate', 'configs/{config}.yaml']); assert r.exit_code == 0"
    )
    assert _loaded_after(statement) == set()


def test_validating_a_search_loads_no_tensorflow_or_optuna():
    statement = (
        "from typer.testing import CliRunner; from dlkit.cli import app; "
        "r = CliRunner().invoke(app, ['validate', 'configs/quickstart_tune.yaml']); assert r.exit_code == 0"
    )
    assert _loaded_after(statement) == set()


def test_validating_a_table_reads_its_header_without_tensorflow_or_pandas(tmp_path):
    """The CSV's header and target column are read with the csv module."""
    table = tmp_path / "iris.csv"
    table.write_text("sepal,petal,species\n" + "\n".join(f"{i}.5,{i}.1,{'ab'[i % 2]}" for i in range(20)) + "\n")
    config = tmp_path / "iris.yaml"
    config.write_text(
        f"task: classification\ndata: {{dataset: csv, options: {{path: {table}, target: species}}}}\n"
        "model: {layers: [{type: dense, units: 2, activation: softmax}]}\n"
    )
    statement = (
        "from typer.testing import CliRunner; from dlkit.cli import app; "
        f"r = CliRunner().invoke(app, ['validate', {str(config)!r}]); assert r.exit_code == 0, r.output"
    )
    assert _loaded_after(statement, ("tensorflow", "keras", "pandas", "sklearn")) == set()
