"""What every `dlkit` command shares: the Typer app, the consoles, the common options, and the
one-line display of a user's error."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dlkit.core.errors import DlkitError, WriteError
from dlkit.core.version import __version__
from dlkit.core.writing import DISK_ERRNOS, reason

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

app = typer.Typer(
    name="dlkit",
    help="Train Keras models from a YAML experiment file; evaluate and predict from the run folder.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def console(stream) -> Console:
    """Pipes and CI logs get 120 columns (or $COLUMNS) rather than rich's 80, so tables stay readable."""
    from rich.console import Console

    width = None if stream.isatty() else int(os.environ.get("COLUMNS", 120))
    return Console(stderr=stream is sys.stderr, soft_wrap=True, width=width)


class _LazyConsole:
    """`console(stream)`, made when first used: importing rich costs `--help` and `validate` about
    40 ms that they do not spend printing through it. Stands for the Console everywhere, a live
    progress bar's `with console:` included."""

    def __init__(self, stream_name: str):
        self._stream_name = stream_name
        self._console: Console | None = None

    def _made(self) -> Console:
        if self._console is None:
            self._console = console(getattr(sys, self._stream_name))
        return self._console

    def __getattr__(self, name: str):
        return getattr(self._made(), name)

    def __enter__(self):
        return self._made().__enter__()

    def __exit__(self, *exc):
        return self._made().__exit__(*exc)


out: Console = _LazyConsole("stdout")  # type: ignore[assignment]
err: Console = _LazyConsole("stderr")  # type: ignore[assignment]


def _assignments(values: list[str] | None) -> list[str] | None:
    """`--set KEY VALUE` would leave VALUE as a stray argument: name the form that works instead."""
    for value in values or []:
        if "=" not in value:
            raise typer.BadParameter(f"{value}: expected KEY=VALUE, e.g. --set {value or 'train.epochs'}=3")
    return values


SetOption = typer.Option(
    None, "--set", "-s", callback=_assignments, help="Override a config value: KEY.PATH=VALUE (repeatable)."
)
RunsDirOption = typer.Option(Path("runs"), "--runs-dir", help="Where run folders live.")
PluginOption = typer.Option(
    None, "--plugin", help="A Python file registering your own components (repeatable; docs/extending.md)."
)
BackendOption = typer.Option(
    None,
    "--backend",
    help="The Keras backend: tensorflow, jax or torch (docs/backends.md). Default: the config's `backend:`, "
    "else $KERAS_BACKEND, else tensorflow where installed (else jax, else torch); a run folder's commands use the "
    "backend it trained on.",
)


def with_backend(set_: list[str] | None, backend: str | None) -> list[str]:
    """The command's `--set` overrides, with `--backend` as `backend=...` (it beats the config's key)."""
    return [*(set_ or []), *([f"backend={backend}"] if backend else [])]


TrustOption = typer.Option(
    False,
    "--trust-plugins",
    help="Import the plug-ins of the run folders this command opens even though they are not trusted on this "
    "machine (importing runs their code; read them first). `dlkit trust RUN` trusts a run's for good.",
)


def user_errors(command):
    """Show a DlkitError as one line and exit with its code; DLKIT_DEBUG=1 shows the traceback.
    A disk's error (no space left, read-only, quota) is one too, wherever it comes from. The
    command's `--plugin` files are imported first (after its `--backend` is chosen: they may import
    Keras); with `--trust-plugins`, the run folders it opens may import theirs."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            if kwargs.get("backend"):
                from dlkit.core.backend import choose_backend

                choose_backend(kwargs["backend"], "--backend")
            if kwargs.get("plugin"):
                from dlkit.core.plugins import load_plugins

                load_plugins(kwargs["plugin"])
            if kwargs.get("trust_plugins"):
                from dlkit.core.plugins import trusting_runs

                with trusting_runs():
                    return command(*args, **kwargs)
            return command(*args, **kwargs)
        except (DlkitError, OSError) as e:
            if os.environ.get("DLKIT_DEBUG") == "1" or (isinstance(e, OSError) and e.errno not in DISK_ERRNOS):
                raise
            if isinstance(e, OSError):
                e = WriteError(f"{e.filename}: {reason(e)}" if e.filename else reason(e))
            for line in str(e).splitlines():
                err.print(f"dlkit: error: {line}", markup=False, highlight=False)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            err.print("dlkit: interrupted", markup=False)
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool):
    if value:
        typer.echo(f"dlkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    pass


def rich_table(table) -> Table:
    """A task's table (`dlkit.tasks.Table`) as a rich one."""
    from rich.table import Table

    shown = Table(*table.columns, title=table.title)
    for row in table.rows:
        shown.add_row(*row)
    return shown
