"""`--help`, `validate` and config errors must not wait for TensorFlow."""

import json
import os
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
    """Looking up the task, the dataset and the layers imports their modules: none may import NumPy at its top."""
    assert _loaded_by_command("validate", f"configs/{config}.yaml") == set()


def _registering_modules_loaded(statement: str) -> dict[str, list[str]]:
    """The modules of `INDEX` (each registers tasks or datasets) that `statement` imported, by registry."""
    code = (
        f"import json, sys; {statement}; from dlkit.core.registries import INDEX; "
        "print(json.dumps({r: sorted({m for m in INDEX[r].values() if m in sys.modules}) for r in INDEX}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "config, task, datasets",
    [
        ("quickstart", "classification", ["digits"]),
        ("digits_gan", "gan", ["digits"]),
        ("imdb_bilstm", "binary", ["keras_datasets", "keras_words"]),  # keras_words builds on keras_datasets
        ("series_regression", "regression", ["sequence", "table"]),  # sequence reads CSVs as table does
        ("unet_shapes", "segmentation.task", ["segmentation_folder"]),
    ],
)
def test_a_config_imports_the_one_task_and_loader_it_names(config, task, datasets):
    """Looking up a task or a dataset imports the module registering it, not all of them (issue 30)."""
    if config in ("quickstart", "digits_gan"):  # the whole command; the others need their data files
        statement = (
            "from typer.testing import CliRunner; from dlkit.cli import app; "
            f"r = CliRunner().invoke(app, ['validate', 'configs/{config}.yaml']); assert r.exit_code == 0, r.output"
        )
    else:
        statement = f"from dlkit.config import load_config; load_config('configs/{config}.yaml')"
    loaded = _registering_modules_loaded(statement)
    assert loaded["tasks"] == [f"dlkit.tasks.{task}"]
    assert loaded["datasets"] == [f"dlkit.data.{d}" for d in datasets]
    assert loaded["formats"] == loaded["addons"] == []


def _main_leaves(argv: list[str], env: dict[str, str] | None = None) -> str:
    """What `dlkit ARGV` (through `main`, as the command runs) prints, then one line: whether
    importlib.metadata was imported, and the docstring of pydantic's plug-in loader as it ended."""
    code = (
        "import atexit, os, sys\n"
        "def report():\n"
        "    loader = sys.modules.get('pydantic.plugin._loader')\n"
        "    doc = (loader.__doc__ or '').split(':')[0] if loader else None\n"
        "    print('metadata', 'importlib.metadata' in sys.modules, doc)\n"
        "atexit.register(report)\n"
        f"from dlkit.cli import main; sys.argv = ['dlkit', *{argv!r}]; main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"} | (env or {})
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_validate_reads_no_package_metadata_for_pydantic_plugins():
    """pydantic's plug-in search (importlib.metadata, every package's metadata) is skipped: the
    stand-in loader answers, and the config is validated all the same."""
    if _main_leaves(["--version"]).startswith("metadata True"):
        pytest.skip("something imports importlib.metadata at this interpreter's start")
    assert _main_leaves(["validate", "configs/quickstart.yaml"]) == "metadata False dlkit's stand-in"


def test_a_users_choice_of_pydantic_plugins_is_kept():
    """PYDANTIC_DISABLE_PLUGINS naming plug-ins to skip: pydantic's own loader reads it."""
    line = _main_leaves(["validate", "configs/quickstart.yaml"], {"PYDANTIC_DISABLE_PLUGINS": "logfire"})
    assert line.startswith("metadata True") and "stand-in" not in line


def test_pydantic_still_has_the_plugin_loader_the_stand_in_replaces():
    """`skip_pydantic_plugins` replaces a private module: it must still exist, answer
    `get_plugins()`, and return nothing when plug-ins are switched off, as the stand-in does."""
    code = (
        "import os; os.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'\n"
        "from pydantic.plugin._loader import get_plugins; print(list(get_plugins()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["validat", "x.yaml"], ["validate", "--help"]])
def test_the_trimmed_app_answers_as_the_whole_one(argv):
    """`main` runs `app_for(argv)`, which makes only the command asked (or every command's name and
    help): what it prints and its exit code are the whole app's."""
    from typer.testing import CliRunner

    from dlkit.cli import app, app_for

    whole, trimmed = (CliRunner().invoke(a, argv) for a in (app, app_for(["dlkit", *argv])))
    assert (trimmed.output, trimmed.exit_code) == (whole.output, whole.exit_code)
    assert whole.output.startswith("dlkit 0.1") if argv == ["--version"] else "Usage:" in whole.output


def test_a_command_asked_is_made_alone_and_runs():
    import typer.main
    from typer.testing import CliRunner

    from dlkit.cli import _name, app, app_for

    names = sorted(typer.main.get_command(app).commands)
    assert sorted(map(_name, app.registered_commands)) == names  # typer's names, to-csv and make-data too
    for name in names:
        assert [_name(c) for c in app_for(["dlkit", name]).registered_commands] == [name]
    result = CliRunner().invoke(app_for(["dlkit", "validate"]), ["validate", "configs/quickstart.yaml"])
    assert result.exit_code == 0 and "valid" in result.output
    assert len(app.registered_commands) == len(names)  # the shared app is left whole
