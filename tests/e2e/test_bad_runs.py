"""Run folders whose files are not what training wrote (damaged, cut short, edited, hostile): `dlkit
runs` lists the others and marks that one, `compare` leaves it out, and every command that works
from a run refuses it in one line (exit 2: the command was pointed at a run it cannot take)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: dlkit.core.run_record's bounds, written out so that these tests run (and fail) on code without them.
MAX_BYTES, MAX_DEPTH = 4 * 2**20, 64

#: JSON values of every kind, nested a little.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

NUMBER = (int, float)


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


#: A field of run.json and the values of a wrong type for it (what dlkit reads it as).
WRONG = {
    "status": VALUES.filter(lambda v: not isinstance(v, str)),
    "plugins": VALUES.filter(lambda v: not isinstance(v, list) or any(not isinstance(p, dict) for p in v)),
    "timings": st.dictionaries(st.text(max_size=8), st.text() | st.lists(st.integers()), min_size=1),
    "input": VALUES.filter(lambda v: not isinstance(v, dict)),
    "best": st.dictionaries(st.text(max_size=8), st.text() | st.none() | st.booleans(), min_size=1),
    "classes": VALUES.filter(lambda v: v is not None and not _strings(v)),
    "epochs": VALUES.filter(lambda v: v is not None and (not isinstance(v, int) or isinstance(v, bool))),
    "command": VALUES.filter(lambda v: not _strings(v)),
    "test": VALUES.filter(
        lambda v: (
            v is not None
            and not (isinstance(v, dict) and all(isinstance(x, NUMBER) and not isinstance(x, bool) for x in v.values()))
        )
    ),  # fmt: skip
}


@pytest.fixture(scope="module")
def runs_root(trained_run, tmp_path_factory) -> Path:
    """Two good copies of the trained run, and the folder a bad copy is written into."""
    root = tmp_path_factory.mktemp("bad-runs")
    run, _ = trained_run
    for name in ("tiny-20260101-000001", "tiny-20260101-000002", "tiny-20260101-000003"):
        shutil.copytree(run, root / name)
    return root


class Contents(bytes):
    """A file's bytes, shown short in hypothesis's report of a failing example."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {bytes(self[:80])!r}{'...' if len(self) > 80 else ''}>"


def bad_contents(good: bytes) -> st.SearchStrategy[bytes]:
    """run.json contents dlkit must not take: a JSON value that is no object, a field of a wrong
    type, the file cut short, nesting past MAX_DEPTH, a file past MAX_BYTES, bytes that are no JSON."""
    info = json.loads(good)
    cut = len(good.rstrip())
    return st.one_of(
        VALUES.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
        st.sampled_from(sorted(WRONG)).flatmap(
            lambda key: WRONG[key].map(lambda v: json.dumps({**info, key: v}).encode())
        ),
        st.integers(0, cut - 1).map(lambda n: good[:n]),
        st.integers(MAX_DEPTH, 50_000).map(
            lambda n: json.dumps({**info, "notes": 0})[:-1].encode() + b', "deep": ' + b"[" * n + b"]" * n + b"}"
        ),  # fmt: skip
        st.just(json.dumps({**info, "notes": "x" * MAX_BYTES}).encode()),
        st.binary(max_size=64).filter(_not_json),
    ).map(Contents)


def _not_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return True
    return False


def one_error_line(result, *names: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlkit: error: "), result.stderr[-2000:]
    assert "Traceback" not in result.output
    assert any(name in lines[0] for name in names), lines[0]
    return lines[0]


@pytest.fixture
def spoiled(runs_root):
    """The third copy, whose run.json a test spoils; put back after."""
    bad = runs_root / "tiny-20260101-000003"
    yield bad
    shutil.copyfile(runs_root / "tiny-20260101-000001" / "run.json", bad / "run.json")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_bad_run_json_is_marked_and_refused_in_one_line(cli, runs_root, spoiled, data):
    bad = spoiled
    good = (runs_root / "tiny-20260101-000001" / "run.json").read_bytes()
    (bad / "run.json").write_bytes(data.draw(bad_contents(good)))

    listed = cli("runs", runs_root)
    assert listed.exit_code == 0, listed.output[-2000:]
    assert "Traceback" not in listed.output
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in listed.stdout.splitlines()
            if line.startswith("│")}  # fmt: skip
    assert rows == {
        "tiny-20260101-000001": "completed",
        "tiny-20260101-000002": "completed",
        "tiny-20260101-000003": "bad run.json",
    }
    warning = listed.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith(f"dlkit: warning: {bad / 'run.json'}: "), listed.stderr

    for command in (("predict", "--run", bad, "x.png"), ("eval", bad)):
        result = cli(*command)
        assert result.exit_code == 2, result.output[-2000:]
        one_error_line(result, str(bad / "run.json"))


DEEP = b"[" * 5000 + b"]" * 5000

#: A file of a run spoiled: (file, how, what the one line says).
BAD_FILES = {
    "run.json cut short": ("run.json", lambda good: good[: len(good) // 2], "not valid JSON"),
    "status a list": ("run.json", lambda good: _with(good, status=["done"]), "status: Input should be a valid str"),
    "plugins a string": ("run.json", lambda good: _with(good, plugins="a.py"), "plugins: Input should be a valid list"),
    "timings of strings": ("run.json", lambda good: _with(good, timings={"fit": "1 s"}), "timings.fit: Input should"),
    "no input kind": ("run.json", lambda good: _with(good, input={}), "records input.kind"),
    "metrics.json a figure of text": ("metrics.json", lambda good: b'{"test": {"acc": "high"}}', "test.acc: Input"),
    "metrics.json nested deep": ("metrics.json", lambda good: b'{"x": ' + DEEP + b"}", "nested deeper than 64"),
    "metrics.json huge": ("metrics.json", lambda good: b" " * (MAX_BYTES + 1) + b"{}", "over 4 MiB"),
    "config.yaml not YAML": ("config.yaml", lambda good: good + b"extra: [unclosed\n", "invalid YAML"),
    "config.yaml huge": ("config.yaml", lambda good: good + b"#" * MAX_BYTES, "over 4 MiB"),
    "config.yaml nested deep": ("config.yaml", lambda good: b"a: " + DEEP, "nested deeper than 100"),
}


def _with(good: bytes, **fields) -> bytes:
    return json.dumps({**json.loads(good), **fields}).encode()


@pytest.fixture
def bad_run(runs_root, request):
    """The third copy with one file spoiled as `BAD_FILES[request.param]` says; put back after."""
    name, spoil, _ = BAD_FILES[request.param]
    bad, good = runs_root / "tiny-20260101-000003", runs_root / "tiny-20260101-000001"
    (bad / name).write_bytes(spoil((good / name).read_bytes()))
    yield bad, name, BAD_FILES[request.param][2]
    shutil.copyfile(good / name, bad / name)
    shutil.copyfile(good / "run.json", bad / "run.json")


@pytest.mark.parametrize("bad_run", sorted(BAD_FILES), indirect=True)
def test_each_command_refuses_a_bad_run_in_one_line(cli, runs_root, bad_run):
    bad, name, says = bad_run
    listed = cli("runs", runs_root)
    assert listed.exit_code == 0 and f"bad {name}" in listed.stdout, listed.output[-2000:]
    assert says in listed.stderr and "Traceback" not in listed.output
    commands = [
        ("predict", "--run", bad, "x.png"),
        ("eval", bad),
        ("export", bad, "--format", "saved_model"),
        ("attack", bad, "--method", "fgsm", "--eps", "0.1"),
        ("serve", bad, "--port", "0"),
        ("generate", bad),
    ]
    for command in commands:
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output[-2000:])
        assert says in one_error_line(result, str(bad / name)), command


def test_compare_leaves_a_bad_run_of_a_folder_out_and_refuses_one_named(cli, runs_root, spoiled, tmp_path):
    bad = spoiled
    (bad / "run.json").write_text('{"status": ')
    result = cli("compare", runs_root, "-o", tmp_path / "c.png", "--json")
    assert result.exit_code == 0, result.output[-2000:]
    assert result.stderr.startswith(f"dlkit: warning: left out: {bad / 'run.json'}: not valid JSON")
    shown = json.loads(result.stdout)
    assert [r["label"] for r in shown["runs"]] == ["tiny-20260101-000001", "tiny-20260101-000002"]
    assert shown["left_out"][0]["path"] == str(bad / "run.json")

    result = cli("compare", runs_root / "tiny-20260101-000001", bad, "-o", tmp_path / "c.png")
    assert result.exit_code == 2
    one_error_line(result, f"{bad / 'run.json'}: not valid JSON")

    sorted_ = cli("runs", runs_root, "--sort", "test.accuracy", "--filter", "dataset=digits")
    assert sorted_.exit_code == 0, sorted_.output[-2000:]
    assert "tiny-20260101-000003" not in sorted_.stdout  # no keys: it matches no filter


def test_the_newest_finished_run_passes_over_a_bad_one(runs_root, spoiled):
    """`predict` without --run takes the newest finished run it can read."""
    from dlkit.core.runs import resolve_run

    info = json.loads((spoiled / "run.json").read_text())
    (spoiled / "run.json").write_text(json.dumps({**info, "ended": "9999"}))
    assert resolve_run(None, runs_root) == spoiled
    (spoiled / "run.json").write_text(json.dumps({**info, "ended": "9999", "input": []}))
    assert resolve_run(None, runs_root) != spoiled


def test_a_good_run_json_with_fields_dlkit_does_not_know_is_taken(runs_root, spoiled):
    """Only what dlkit reads is checked: runs of later versions (new fields) and of earlier ones
    (fewer fields) are read as before."""
    from dlkit.core import run_record
    from dlkit.core.runs import read_run

    assert (run_record.MAX_BYTES, run_record.MAX_DEPTH) == (MAX_BYTES, MAX_DEPTH)

    good = json.loads((runs_root / "tiny-20260101-000001" / "run.json").read_text())
    earlier = {k: v for k, v in good.items() if k not in ("headline", "timings", "plugins", "versions")}
    for info in ({**good, "new_field": {"a": [1, {"b": None}]}}, earlier):
        (spoiled / "run.json").write_text(json.dumps(info))
        assert read_run(spoiled) == info


def test_a_named_pipe_for_metrics_json_is_refused_without_waiting(cli, runs_root):
    bad = runs_root / "tiny-20260101-000003"
    (bad / "metrics.json").unlink()
    os.mkfifo(bad / "metrics.json")
    try:
        listed = cli("runs", runs_root)
        assert listed.exit_code == 0 and "bad metrics.json" in listed.stdout
        result = cli("predict", "--run", bad, "x.png")
        assert result.exit_code == 2
        assert one_error_line(result, f"{bad / 'metrics.json'}: not a regular file")
    finally:
        (bad / "metrics.json").unlink()
        shutil.copyfile(runs_root / "tiny-20260101-000001" / "metrics.json", bad / "metrics.json")
