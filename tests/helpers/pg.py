"""A real PostgreSQL server for the tests of `dlkit tune --storage postgresql://...`: the session
fixture `postgres` starts one where its binaries are installed (skips, or fails under
DLKIT_TEST_POSTGRES=1, where it cannot)."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRED = "DLKIT_TEST_POSTGRES"


def need(reason: str | None) -> None:
    """Skip (fail where the server is required) when `reason` says something is missing."""
    if reason is None:
        return
    if os.environ.get(REQUIRED) == "1":
        pytest.fail(f"{reason} ({REQUIRED}=1: PostgreSQL tests must run here)")
    pytest.skip(reason)


def need_driver() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        need('no PostgreSQL driver: pip install -e ".[postgres]"')


def server_bin() -> Path | None:
    """The folder of initdb, pg_ctl and postgres: pg_ctl's on the PATH (Debian links only some
    into /usr/local/bin), else the newest /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("pg_ctl")
    folders = [Path(found).resolve().parent] if found else []
    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    return next((f for f in folders if all((f / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres"))), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """The server's base URL, `postgresql://postgres@127.0.0.1:PORT` (trust authentication)."""
    need_driver()
    folder = server_bin()
    need(None if folder else "no PostgreSQL server (initdb, pg_ctl): apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="dlkit-pg-"))
    as_owner = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the package's user
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    run = lambda *args: subprocess.run([*as_owner, *map(str, args)], cwd=root, capture_output=True, text=True)  # noqa: E731
    made = run(folder / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
    assert made.returncode == 0, made.stderr
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = run(folder / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60", "-o", options, "start")
    assert started.returncode == 0, started.stderr + (root / "server.log").read_text()
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        run(folder / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


_names = itertools.count(1)


@pytest.fixture
def pg_url(postgres):
    """A new, empty database on the session's server, for one test."""
    import psycopg

    name = f"dlkit_test_{os.getpid()}_{next(_names)}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as connection:  # CREATE DATABASE needs it
        connection.execute(f"CREATE DATABASE {name}")
    return f"{postgres}/{name}"
