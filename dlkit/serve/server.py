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
    *,
    max_batch: int = 32,
    batch_timeout_ms: float = 2.0,
    max_body: int = 10 * 2**20,
    poll: float | None = 2.0,
    top_k: int = 3,
    on_ready: Callable[[Store, str], None] | None = None,
) -> None:
    """Load `runs` (each with where it came from, for reloads) and serve them on `sock`; returns
    when stopped by a signal. `on_ready(store, url)` is called once the server accepts requests."""
    import uvicorn

    from dlkit.serve.app import make_app
    from dlkit.serve.metrics import Metrics

    _log_to_stderr()
    metrics = Metrics()
    store = Store(max_batch, batch_timeout_ms / 1000, metrics)
    store.load(runs)
    app = make_app(store, metrics, max_body, top_k, poll)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=10)
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
