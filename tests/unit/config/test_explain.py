"""`dlkit validate --explain`: each resolved value and where it came from (a base's line, the file's
own line, a --set, or the default)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

BASE = """\
name: base
task: classification
data:
  dataset: digits
  batch_size: 64
model:
  layers:
    - flatten
    - {type: dense, units: 10, activation: softmax}
train:
  epochs: 3
  optimizer: {type: adam, learning_rate: 0.01}
"""

CHILD = """\
extends: base.yaml
name: child
train:
  epochs: 5
  optimizer: sgd
"""


def _explained(tmp_path, cli, *args) -> dict[str, tuple[str, str]]:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text(CHILD)
    result = cli("validate", tmp_path / "child.yaml", "--explain", *args)
    assert result.exit_code == 0, result.stderr
    return {line.split()[0]: (line.split()[1], line.split()[-1]) for line in result.stdout.splitlines()}


def test_each_value_says_where_it_was_written(tmp_path, cli):
    rows = _explained(tmp_path, cli, "--set", "data.batch_size=32")
    base, child = tmp_path / "base.yaml", tmp_path / "child.yaml"
    assert rows["name"] == ('"child"', f"{child}:2")
    assert rows["train.epochs"] == ("5", f"{child}:4")
    assert rows["data.dataset"] == ('"digits"', f"{base}:4")
    assert rows["model.layers.0.type"] == ('"flatten"', f"{base}:8")  # a layer written by name alone
    assert rows["model.layers.1.units"] == ("10", f"{base}:9")
    assert rows["data.batch_size"][1] == "data.batch_size=32"  # from `--set data.batch_size=32`
    assert rows["data.shuffle"] == ("true", "default")
    # `optimizer: sgd` replaces the base's mapping: its learning rate is sgd's default, not the base's line
    assert rows["train.optimizer.type"] == ('"sgd"', f"{child}:5")
    assert rows["train.optimizer.learning_rate"][1] == "default"


def test_explain_as_json(tmp_path, cli):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text(CHILD)
    result = cli("validate", tmp_path / "child.yaml", "--explain", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["train.epochs"] == {"key": "train.epochs", "value": 5, "from": f"{tmp_path / 'child.yaml'}:4"}
    assert rows["data.split.validation"]["from"] == "default"


def test_explain_loads_no_tensorflow():
    code = (
        "import sys; from typer.testing import CliRunner; from dlkit.cli import app; "
        "r = CliRunner().invoke(app, ['validate', 'configs/quickstart.yaml', '--explain']); "
        "assert r.exit_code == 0 and 'configs/quickstart.yaml:' in r.stdout, r.output; "
        "print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "False"
