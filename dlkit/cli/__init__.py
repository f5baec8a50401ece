"""The `dlkit` command: parses options, calls the core, prints. TensorFlow loads only in the
commands that need it, so `--help`, `validate` and config errors stay fast. Each module of this
package registers its commands on `app`, in the order `--help` lists them."""

from dlkit.cli import training, cv, results, attack, tools, compare, deploy, serve, make_data  # noqa: F401, I001  (registers the commands, in this order)
from dlkit.cli.common import app


def main() -> None:
    app()
