"""The `dlkit` command: parses options, calls the core, prints. TensorFlow loads only in the
commands that need it, so `--help`, `validate` and config errors stay fast. Each command is the
module of its name (`dlkit to-csv`: `to_csv.py`), which registers it on `app` (`common.py`, with
what every command shares); they are imported here in the order `--help` lists them. (`list` and
`eval` are modules of this package: this file calls neither builtin.)"""

from dlkit.cli import init, train, tune, cv, eval, generate, predict, attack, validate, list  # noqa: F401, I001
from dlkit.cli import to_csv, runs, compare, reproduce, export, serve, trust, schema, doctor, make_data  # noqa: F401, I001
from dlkit.cli.common import app


def main() -> None:
    import os
    import sys

    from dlkit.core.backend import defer_optional_imports

    defer_optional_imports()
    try:
        app()
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
