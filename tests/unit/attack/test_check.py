"""`dlkit attack` refuses runs it cannot attack (a regression, a text run) in one line, exit 2,
from config.yaml and run.json alone."""

from __future__ import annotations

import json

from conftest import write_config


def _fake_run(folder, config: dict, kind: str):
    """A run folder as far as the refusals read it: config.yaml and run.json."""
    folder.mkdir()
    write_config(folder, config)
    (folder / "run.json").write_text(json.dumps({"status": "completed", "input": {"kind": kind}}))
    return folder


def test_a_regression_run_is_refused(tmp_path, cli):
    layers = [{"type": "dense", "units": 1}]
    config = {"task": "regression", "data": {"dataset": "diabetes"}, "model": {"layers": layers}}
    result = cli("attack", _fake_run(tmp_path / "run", config, "array"))
    assert result.exit_code == 2
    assert "runs of task binary, classification" in result.stderr and "'regression'" in result.stderr
    assert not (tmp_path / "run" / "eval").exists()


def test_a_text_run_is_refused(tmp_path, cli):
    texts = tmp_path / "texts.csv"
    texts.write_text("text,label\ngood,pos\nbad,neg\n")
    config = {
        "data": {"dataset": "text_csv", "options": {"path": str(texts)}},
        "model": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
    }
    result = cli("attack", _fake_run(tmp_path / "run", config, "text"))
    assert result.exit_code == 2, result.output
    assert "token ids are not continuous" in result.stderr and len(result.stderr.strip().splitlines()) == 1
