"""The `dlkit` command: parses options, calls the core, prints. TensorFlow loads only in the
commands that need it, so `--help`, `validate` and config errors stay fast. Each command is the
module of its name (`dlkit to-csv`: `to_csv.py`), which registers it on `app` (`common.py`, with
what every command shares); they are imported here in the order `--help` lists them. (`list` and
`eval` are modules of this package: this file calls neither builtin.)"""

from dlkit.cli import init, train, tune, cv, eval, generate, predict, attack, validate, list  # noqa: F401, I001
from dlkit.cli import to_csv, runs, compare, reproduce, export, serve, trust, schema, doctor, make_data  # noqa: F401, I001
import copy
import os
import sys

from dlkit.cli.common import app


def main() -> None:
    from dlkit.core.backend import defer_optional_imports

    defer_optional_imports()
    skip_pydantic_plugins()
    try:
        app_for(sys.argv)()
    except SystemExit as e:
        if "tensorflow" not in sys.modules:
            raise
        # TensorFlow's native teardown at interpreter exit takes seconds (4 s after a 60,000-image
        # run, measured; the plain Keras script pays it too). The command is done and everything it
        # wrote is closed: flush what is buffered and leave without it.
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        import logging  # (imported by TensorFlow already; `--help` need not)

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe (`dlkit ... | head`)
                pass
        os._exit(code)


def app_for(argv):
    """`app` with only what `argv` asks of it. typer makes the click command of every command,
    options and all, at each start (13 ms for dlkit's 20 commands and 142 options, measured): a
    command needs only its own, and anything else (`--help`, `--version`, a misspelt name) only
    each command's name and help, which is what `dlkit --help` lists and what click's "did you
    mean" reads. `app` itself is left whole (tests and plug-ins may invoke it again)."""
    asked = argv[1] if len(argv) > 1 else None
    named = [c for c in app.registered_commands if _name(c) == asked]
    trimmed = copy.copy(app)
    trimmed.registered_commands = named or [_listed(c) for c in app.registered_commands]
    return trimmed


def _name(command) -> str:
    """A command's name as typer derives it (`to_csv` is `to-csv`)."""
    return command.name or command.callback.__name__.lower().replace("_", "-")


def _listed(command):
    """`command` as a list of commands shows it: its name, help and flags, none of its options."""

    def listed():
        raise AssertionError(f"dlkit {_name(command)} was listed, not made to run")

    listed.__name__, listed.__doc__ = command.callback.__name__, command.callback.__doc__
    shown = copy.copy(command)
    shown.callback = listed
    return shown


def skip_pydantic_plugins() -> None:
    """Tell pydantic that this process has no plug-ins, as typer does while it builds its own
    validators. dlkit's config models use none; pydantic looks for them, when it builds its first
    validator, in the metadata of every installed package, importing `importlib.metadata` to do it:
    25-35 ms of `dlkit validate`'s 0.3 s, measured. PYDANTIC_DISABLE_PLUGINS is pydantic's own switch
    (a user's setting is kept); with it set pydantic's `get_plugins()` returns nothing without
    reading any metadata, and so does the stand-in given here for its loader, which keeps the
    import away. (`pydantic.plugin._loader` is private: tests/unit/cli/test_imports.py checks that
    pydantic still has it, with `get_plugins`.)"""
    import types

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] not in ("__all__", "1", "true"):
        return  # the user named the plug-ins to skip: pydantic's loader reads which
    name = "pydantic.plugin._loader"
    if name not in sys.modules:
        loader = types.ModuleType(name, "dlkit's stand-in: no pydantic plug-ins in this process")
        loader.get_plugins = lambda: ()
        sys.modules[name] = loader
