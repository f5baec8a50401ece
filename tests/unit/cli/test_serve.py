"""`dlkit serve`'s arguments are checked before TensorFlow or the web server load."""

import subprocess
import sys

from conftest import REPO


def test_bad_arguments_are_refused_before_tensorflow(cli, tmp_path, monkeypatch):
    result = cli("serve", tmp_path / "nope")
    assert result.exit_code == 2 and "no such run folder" in result.stderr
    assert cli("serve", "--runs-dir", tmp_path).exit_code == 2
    result = cli("serve", "--max-body", "lots", "--runs-dir", tmp_path)
    assert result.exit_code == 2 and "--max-body: expected a size like 10MB" in result.stderr
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "uvicorn" else real(name))
    result = cli("serve", tmp_path)
    assert (
        result.exit_code == 2
        and result.stderr.strip() == 'dlkit: error: dlkit serve needs the serve extra: pip install "dlkit[serve]"'
    )


def test_serve_help_loads_no_tensorflow_or_web_server():
    code = (
        "import sys; from typer.testing import CliRunner; from dlkit.cli import app; "
        "r = CliRunner().invoke(app, ['serve', '--help']); assert r.exit_code == 0 and '--max-batch' in r.output; "
        "print(' '.join(m for m in ('tensorflow', 'keras', 'fastapi', 'uvicorn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == []
