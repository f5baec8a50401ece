"""The folders `dlkit serve` may load runs from: a reload names a run under them or gets one 403 for
every path outside (existing or not); answers name runs relative to them, never by absolute path."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlkit.serve.bodies import BadRequest
from dlkit.serve.roots import OUTSIDE, Roots, loopback
from dlkit.serve.store import Source


def _run(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder


def test_the_roots_of_the_runs_a_server_starts_with(tmp_path):
    runs = tmp_path / "runs"
    stamped = _run(runs / "tiny-20260101-120000")
    (runs / "latest").symlink_to(stamped.name)
    alone = _run(tmp_path / "mine" / "best_model")  # not named as dlkit train names runs: alone
    roots = Roots.of(
        [
            (stamped, Source("path", stamped)),
            (stamped, Source("latest", runs / "latest")),
            (alone, Source("path", alone)),
            (stamped, Source("newest", tmp_path / "other_runs")),
        ]
    )
    assert roots.folders == sorted({runs.resolve(), (tmp_path / "other_runs").resolve()})
    assert roots.runs == [alone.resolve()]


def test_answers_name_runs_relative_to_their_root_and_scrub_absolute_paths(tmp_path):
    runs, alone = (tmp_path / "runs").resolve(), (tmp_path / "mine" / "best_model").resolve()
    roots = Roots([runs], [alone])
    assert roots.name(runs / "tiny-20260101-120000") == "tiny-20260101-120000"
    assert roots.name(alone / "model.keras") == "best_model/model.keras"
    assert roots.name(tmp_path / "x" / "elsewhere") == "elsewhere"
    error = f"{runs}/tiny-1/model.keras: not a zip file; {alone}/config.yaml and {alone}"
    assert roots.scrub(error) == "tiny-1/model.keras: not a zip file; best_model/config.yaml and best_model"
    assert str(tmp_path) not in roots.scrub(error)


def test_a_reload_finds_a_run_under_the_roots_by_any_of_its_names(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    run = _run(runs / "tiny-20260101-120000")
    alone = _run(tmp_path / "mine" / "best_model")
    roots = Roots([runs], [alone])
    monkeypatch.chdir(tmp_path)
    assert roots.find(str(run)) == run.resolve()  # absolute
    assert roots.find("runs/tiny-20260101-120000") == run.resolve()  # relative to the server's folder
    assert roots.find("tiny-20260101-120000") == run.resolve()  # as answers name it
    assert roots.find("best_model") == alone.resolve()
    assert roots.find("runs/tiny-20260101-120000/../tiny-20260101-120000") == run.resolve()


@pytest.mark.parametrize(
    "given",
    ["/etc", "/no/such/folder", "../outside", "link-out", "tiny\x00x", "/"],
)
def test_every_path_outside_the_roots_gets_the_same_403(tmp_path, monkeypatch, given):
    """Absolute or relative (to the server's folder or a root), existing or not, through a link."""
    runs = tmp_path / "runs"
    _run(runs / "tiny-20260101-120000")
    _run(tmp_path / "outside")
    (runs / "link-out").symlink_to(tmp_path / "outside")  # a link under the roots to a folder outside
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadRequest) as refused:
        Roots([runs], []).find(given)
    assert refused.value.status == 403 and str(refused.value) == OUTSIDE


@pytest.mark.parametrize(
    ("name", "local"),
    [("localhost", True), ("LocalHost", True), ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True),
     ("0.0.0.0", False), ("192.168.1.2", False), ("example.com", False), ("localhost.evil.example", False),
     ("", False)],
)  # fmt: skip
def test_loopback_names(name, local):
    assert loopback(name) is local
