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


#: What start-up must not pay for: TensorFlow, and the numeric and plotting stacks (about 0.1-1.4 s
#: of CPU each to import; `benchmarks/startup.py` measures them).
HEAVY = ("tensorflow", "keras", "numpy", "pandas", "sklearn", "scipy", "matplotlib", "optuna")


def _loaded_by_command(*args: str) -> set[str]:
    """The HEAVY modules `python -m dlkit ARGS` has loaded when it exits (a whole process, as a user runs it)."""
    code = (
        "import atexit, runpy, sys\n"
        f"atexit.register(lambda: print('LOADED', *(m for m in {HEAVY!r} if m in sys.modules)))\n"
        f"sys.argv = ['dlkit', *{list(args)!r}]\n"
        "runpy.run_module('dlkit', run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("LOADED")]
    return set(line.split()[1:])


def test_help_loads_no_numeric_or_plotting_stack():
    assert _loaded_by_command("--help") == set()


@pytest.mark.parametrize("config", ["quickstart", "digits_gan", "quickstart_tune"])
def test_validate_loads_no_numpy_or_numeric_stack(config):
    """Looking up the task and the layers imports every task module: none may import NumPy at its top."""
    assert _loaded_by_command("validate", f"configs/{config}.yaml") == set()
