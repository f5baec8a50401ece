"""Run `dlkit serve`: load the runs, then serve them on uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from dlkit.serve.store import Source, Store

log = logging.getLogger("dlkit.serve")


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before any model loads, so a port in use is said at once.
    Raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it each answer on a kept-alive connection waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    runs: list[tuple[Path, Source]],
    sock: socket.socket,
    options=None,
    *,
    max_batch: int = 32,
    batch_timeout_ms: float = 2.0,
    on_ready: Callable[[Store, str], None] | None = None,
) -> None:
    """Load `runs` (each with where it came from, for reloads) and serve them on `sock` as
    `options` (an `app.Options`) say; returns when stopped by a signal. `on_ready(store, url)` is
    called once the server accepts requests."""
    import uvicorn

    from dlkit.serve.app import Options, make_app
    from dlkit.serve.metrics import Metrics

    options = options or Options()
    _log_to_stderr()
    metrics = Metrics()
    store = Store(max_batch, batch_timeout_ms / 1000, metrics)
    store.load(runs)
    app = make_app(store, metrics, options)
    # h11 whatever else is installed (httptools would skip the header deadline), and no websockets.
    protocol = _protocol_class(options.read_timeout)
    config = uvicorn.Config(
        app, http=protocol, ws="none", log_level="warning", access_log=False, timeout_graceful_shutdown=10
    )
    server = _server_class()(config)
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    asyncio.run(_serve(server, sock, lambda: on_ready and on_ready(store, url)))


async def _serve(server, sock: socket.socket, ready: Callable[[], None]) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started:
        ready()
    await task


def _log_to_stderr() -> None:
    logger = logging.getLogger("dlkit.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("dlkit serve: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, but a Ctrl-C or SIGTERM that stopped it gracefully is not raised again
        afterwards: stopping is what the user asked for, exit 0."""

        @contextlib.contextmanager
        def capture_signals(self):
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    return Server


def _protocol_class(read_timeout: float):
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        """uvicorn's h11 protocol, closing a connection whose request headers have not all come
        `read_timeout` seconds after it opened, or after the first bytes of its next request.
        uvicorn has no such limit: its keep-alive timeout covers only an idle connection between
        requests, and stops at the first byte. (The body's deadline is `bodies.read_body`'s.)"""

        headers_due: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._expect_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._between_requests():
                self._expect_headers()  # the first bytes of a request: its headers are due
            elif self.headers_due is not None:
                self.headers_due.cancel()
                self.headers_due = None

        def connection_lost(self, exc) -> None:
            if self.headers_due is not None:
                self.headers_due.cancel()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _expect_headers(self) -> None:
            if self.headers_due is None:  # the deadline runs from the first byte, not the last
                self.headers_due = self.loop.call_later(read_timeout, self._headers_late)

        def _headers_late(self) -> None:
            self.headers_due = None
            if self._between_requests() and not self.transport.is_closing():
                client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
                log.info(f"{client}: no complete request headers within {read_timeout:g} s (--read-timeout); closed")
                self.transport.close()

    return Protocol
