"""`run.json` and `metrics.json` as dlkit reads them, on files written here: bounded in bytes and
nesting, checked field by field against what training writes, a damaged file one `BadRunFile`
naming the file and the field; fields dlkit does not read are kept."""

from __future__ import annotations

import json
import os

import pytest

from dlkit.core.errors import UsageError
from dlkit.core.run_record import MAX_BYTES, MAX_DEPTH, BadRunFile, load_json, read_metrics_file, read_run_file

FINISHED = {"status": "completed", "input": {"kind": "image", "shape": [8, 8, 1]}, "epochs": 2}


def _write(path, data) -> object:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _refusal(path) -> str:
    with pytest.raises(BadRunFile) as refused:
        read_run_file(path)
    assert "\n" not in str(refused.value)
    return str(refused.value)


def test_a_finished_run_is_read_with_the_fields_dlkit_does_not_know(tmp_path):
    data = read_run_file(
        _write(tmp_path / "run.json", {**FINISHED, "note": {"by": "me"}, "best": {"val_loss": float("nan")}})
    )
    assert data["note"] == {"by": "me"} and data["epochs"] == 2


def test_no_file_is_an_empty_record(tmp_path):
    assert read_run_file(tmp_path / "run.json") == {}
    assert read_metrics_file(tmp_path / "metrics.json") == {}
    with pytest.raises(FileNotFoundError):
        load_json(tmp_path / "run.json")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({**FINISHED, "epochs": "3"}, "run.json: epochs: Input should be a valid integer. Received: '3'"),
        ({**FINISHED, "epochs": True}, "run.json: epochs: Input should be a valid integer. Received: True"),
        (
            {"status": "completed"},
            "run.json: (top level): a completed run records input.kind (what its model takes); it is missing",
        ),
        ({"epochs": 2}, "run.json: status: Field required"),
        (
            {**FINISHED, "input": {"kind": "image", "shape": [0]}},
            "input.shape.0: Input should be greater than or equal to 1",
        ),
        ({**FINISHED, "best": {"val_loss": "low"}}, "best.val_loss: Input should be a valid number"),
        ({**FINISHED, "plugins": [{"file": "a.py"}]}, "plugins.0.sha256: Field required"),
        ([FINISHED], "run.json: expected a JSON object. Received: list [{"),
        ({**FINISHED, "epochs": "x", "seed": "y"}, "(and 1 more)"),
    ],
)
def test_a_field_of_the_wrong_type_is_one_line_naming_it(tmp_path, data, said):
    assert said in _refusal(_write(tmp_path / "run.json", data))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"status": "completed", "input": {', "not valid JSON (Expecting property name enclosed in double quotes"),
        ("", "not valid JSON (Expecting value at line 1, column 1)"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        ("[" * 100_000 + "]" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),
        ('{"status": 1' + "0" * 5000 + "}", "not valid JSON (Exceeds the limit"),
    ],
    ids=["cut-short", "empty", "deep", "deeper-than-python-recurses", "huge-integer"],
)
def test_a_damaged_file_is_one_line(tmp_path, text, said):
    assert said in _refusal(_write(tmp_path / "run.json", text))


def test_a_file_past_the_byte_bound_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "run.json"
    path.write_bytes(b" " * (MAX_BYTES + 1))
    assert str(path) in _refusal(path) and "over 4 MiB; dlkit writes a few KB there" in _refusal(path)


def test_what_is_not_a_regular_file_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "run.json")  # a reader would block on a named pipe until a writer came
    assert _refusal(tmp_path / "run.json").endswith("run.json: not a regular file")


def test_the_refusal_is_a_usage_error_marked_by_the_file(tmp_path):
    path = _write(tmp_path / "metrics.json", {"test": {"accuracy": "high"}})
    with pytest.raises(BadRunFile) as refused:
        read_metrics_file(path)
    assert isinstance(refused.value, UsageError) and refused.value.exit_code == 2
    assert refused.value.mark == "bad metrics.json" and refused.value.path == path
    assert "test.accuracy: Input should be a valid number" in str(refused.value)
    assert read_metrics_file(_write(path, {"test": {"accuracy": 0.9}, "pruning": {"sparsity": 0.5}}))["pruning"]
