"""Where dlkit keeps what it remembers on this machine: $DLKIT_CACHE_DIR, else $XDG_CACHE_HOME/dlkit,
else ~/.cache/dlkit."""

from __future__ import annotations

from pathlib import Path

from dlkit.core.cache import cache_dir


def test_the_cache_folder_by_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("DLKIT_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("DLKIT_CACHE_DIR", "")  # set but empty: not set
    assert cache_dir() == tmp_path / "xdg" / "dlkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path(tmp_path / "home" / ".cache" / "dlkit")
