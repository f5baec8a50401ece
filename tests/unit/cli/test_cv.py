"""`dlkit cv` refuses a bad request before TensorFlow loads."""

import os
import subprocess
import sys

from conftest import TINY, write_config


def test_refusals_load_no_tensorflow(tmp_path):
    """Checking --folds against the classes reads the data but builds nothing."""
    config = write_config(tmp_path, TINY)
    code = (
        "import sys; from typer.testing import CliRunner; from dlkit.cli import app; "
        f"r = CliRunner().invoke(app, ['cv', {str(config)!r}, '--folds', '150', '--runs-dir', {str(tmp_path)!r}]); "
        "assert r.exit_code == 2, r.output; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert done.stdout.split() == ["False", "False"]
