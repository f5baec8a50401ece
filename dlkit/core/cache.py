"""The folder where dlkit keeps what it remembers on this machine: data fingerprints it can compute
again (`dlkit.data.fingerprint`) and the plug-ins trusted here (`dlkit.core.plugins`)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$DLKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/dlkit`, else `~/.cache/dlkit`."""
    if os.environ.get("DLKIT_CACHE_DIR"):
        return Path(os.environ["DLKIT_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlkit"
