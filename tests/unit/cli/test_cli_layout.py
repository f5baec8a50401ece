"""The command line's shape: each `dlkit` command is defined in the CLI module of its name
(`dlkit to-csv` in `dlkit/cli/to_csv.py`), and `--help` lists them in the order a user meets them."""

from pathlib import Path

from dlkit.cli import app

CLI = Path(__file__).resolve().parents[3] / "dlkit" / "cli"

#: The order `dlkit --help` lists the commands in: set up, train, use a run, look at runs, ship, tools.
ORDER = [
    "init", "train", "tune", "cv", "eval", "generate", "predict", "attack", "validate", "list", "to-csv",
    "runs", "compare", "reproduce", "export", "serve", "trust", "schema", "doctor", "make-data",
]  # fmt: skip

#: The modules of `dlkit/cli/` that are no command: what every command shares, and training's progress bars.
SHARED = {"__init__", "common", "progress"}


def _name(command) -> str:
    return command.name or command.callback.__name__.replace("_", "-")


def test_every_command_lives_in_the_module_of_its_name():
    misplaced = [
        f"dlkit {_name(c)}: in {c.callback.__module__}"
        for c in app.registered_commands
        if c.callback.__module__ != f"dlkit.cli.{_name(c).replace('-', '_')}"
    ]
    assert not misplaced


def test_every_cli_module_is_a_command_or_shared():
    commands = {_name(c).replace("-", "_") for c in app.registered_commands}
    modules = {path.stem for path in CLI.glob("*.py")}
    assert modules - SHARED == commands, "a module of dlkit/cli/ that is no command: name it for its command"


def test_help_lists_the_commands_in_order():
    assert [_name(c) for c in app.registered_commands] == ORDER
