"""The study's database: the SQLAlchemy engine options dlkit sets, the driver it needs, and the
lock that makes claiming a trial one step across machines on PostgreSQL."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re

from dlkit.core.errors import UsageError

#: Seconds a PostgreSQL server may take to answer a new connection: an address that does not answer
#: fails the command in one line instead of waiting for the system's TCP timeout (minutes).
CONNECT_TIMEOUT = 10


def engine_kwargs(url: str) -> dict:
    """Options for `create_engine`: SQLite waits for a busy file; PostgreSQL gives up on a silent
    server after CONNECT_TIMEOUT seconds unless the URL sets its own `connect_timeout`."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    if _is_postgres(url):
        check_driver(url)
        args = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT}
        return {"connect_args": args, "pool_pre_ping": True}  # a server restarted mid-study: reconnect
    return {}


def check_driver(url: str) -> None:
    """The PostgreSQL driver is an extra: say how to install it rather than `No module named ...`.
    `postgresql://` means SQLAlchemy's default driver (psycopg from 2.1 on, psycopg2 before)."""
    from sqlalchemy.dialects import postgresql

    scheme = url.split(":", 1)[0]
    driver = scheme.split("+", 1)[1] if "+" in scheme else postgresql.dialect.driver
    try:
        __import__(driver)
    except ImportError:
        install = {"psycopg": '"dlkit[postgres]"', "psycopg2": "psycopg2-binary"}.get(driver, driver)
        raise UsageError(
            f"--storage {shown_url(url)}: the PostgreSQL driver {driver} is not installed; pip install {install}"
        ) from None


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql:", "postgresql+"))


def shown_url(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@contextlib.contextmanager
def study_lock(url: str, study: str):
    """Hold a lock on `study` that every machine using this PostgreSQL database sees (a session
    advisory lock, released by the server if the holder dies); nothing for other databases, where
    the caller's file lock covers the workers of one machine."""
    if not _is_postgres(url):
        yield
        return
    from sqlalchemy import text

    key = int.from_bytes(hashlib.blake2b(f"dlkit:{study}".encode(), digest_size=8).digest(), "big", signed=True)
    with _engine(url).connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


@functools.cache
def _engine(url: str):
    import sqlalchemy

    return sqlalchemy.create_engine(url, **engine_kwargs(url))
