"""Request bodies of `dlkit serve` read as a client's, never the server's, problem: a size limit
enforced while reading (chunked bodies too), a deadline for the body to arrive, a client that went
away named as such, and JSON parsed within a nesting bound and Python's integer-digit limit."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import numpy as np

log = logging.getLogger("dlkit.serve")

#: Deepest nesting of lists and objects a body may have: an image in `{"instances": [...]}` is 5
#: deep. The bound is checked before parsing, as json's C parser recurses once per level.
MAX_DEPTH = 32
#: nginx's code for a client that closed its connection before its request was complete.
CLIENT_CLOSED = 499


class BadRequest(Exception):
    """The caller's mistake, answered with `status` and `{"error": message}`; `close` ends the
    connection after the answer (its body was not read to the end)."""

    def __init__(self, message: str, status: int = 400, headers: dict | None = None, close: bool = False):
        super().__init__(message)
        self.status = status
        self.headers = {**(headers or {}), **({"Connection": "close"} if close else {})}


async def read_body(request, limit: int, timeout: float) -> bytes:
    """The body, refused (413) past `limit` bytes by its Content-Length or, without one or when it
    lies, by the bytes that came; 408 when it has not all come `timeout` seconds after the headers."""
    from starlette.requests import ClientDisconnect

    length = request.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and (len(length) > 18 or int(length) > limit):
        raise BadRequest(f"the body is {length} bytes; this server takes at most {limit} (--max-body)", 413, close=True)
    loop = asyncio.get_running_loop()
    deadline, chunks, size = loop.time() + timeout, [], 0
    stream = request.stream()
    try:
        while True:
            try:
                chunk = await asyncio.wait_for(stream.__anext__(), max(deadline - loop.time(), 0))
            except StopAsyncIteration:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                message = f"the body is over {limit} bytes, the most this server takes (--max-body)"
                raise BadRequest(message, 413, close=True)
            chunks.append(chunk)
    except asyncio.TimeoutError:
        log.info(f"{_where(request)}: the body did not arrive within {timeout:g} s (--read-timeout); closed (408)")
        raise BadRequest(f"the body did not arrive within {timeout:g} s (--read-timeout)", 408, close=True) from None
    except ClientDisconnect:
        log.info(f"{_where(request)}: the client closed the connection before its request was complete (499)")
        raise BadRequest("the client closed the connection", CLIENT_CLOSED) from None
    finally:
        await stream.aclose()


def _where(request) -> str:
    client = request.client
    return f"{request.method} {request.url.path} from {client.host}:{client.port}" if client else request.url.path


def parse_json(body: bytes):
    """The JSON value of `body`; one not JSON, nested deeper than MAX_DEPTH or with a number of more
    digits than Python converts is a BadRequest saying which."""
    try:
        encoding = json.detect_encoding(body)
        if encoding != "utf-8":  # UTF-16 or -32, or a BOM: scanned as UTF-8 like the rest
            body = body.decode(encoding).encode("utf-8")
    except UnicodeError as e:
        raise BadRequest(f"the body is not JSON ({e})") from None
    depth = _depth(body)
    if depth > MAX_DEPTH:
        raise BadRequest(f"the body nests lists and objects {depth} deep; this server reads at most {MAX_DEPTH}")
    try:
        return json.loads(body)
    except ValueError as e:
        if "integer string conversion" in str(e):
            most = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
            raise BadRequest(f"the body has a number of more than {most} digits; no model takes one") from None
        raise BadRequest(f"the body is not JSON ({e})") from None


def _depth(body: bytes) -> int:
    """How deep lists and objects nest in the UTF-8 JSON `body` (0 when too few for MAX_DEPTH),
    brackets in strings aside; vectorized over its bytes, none of `"[]{}\\` being part of a
    multi-byte character. Up to the first syntax error it reads the body as json does, so json
    never goes deeper than this says."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return 0
    a = np.frombuffer(body, np.uint8)
    at = np.flatnonzero((a == ord("[")) | (a == ord("]")) | (a == ord("{")) | (a == ord("}")))
    step = np.where((a[at] == ord("[")) | (a[at] == ord("{")), 1, -1).astype(np.int32)
    quotes = _unescaped_quotes(a)
    if len(quotes):
        step[np.searchsorted(quotes, at) % 2 == 1] = 0  # after an odd number of quotes: in a string
    return int(np.cumsum(step).max())


def _unescaped_quotes(a: np.ndarray) -> np.ndarray:
    """Where the quotes are that open or close a string: those after an even run of backslashes."""
    quotes, slashes = np.flatnonzero(a == ord('"')), np.flatnonzero(a == ord("\\"))
    if not len(slashes) or not len(quotes):
        return quotes
    runs = slashes[np.r_[True, np.diff(slashes) != 1]]  # where each run of backslashes starts
    before = quotes - 1
    run = runs[np.maximum(np.searchsorted(runs, before, side="right") - 1, 0)]
    escaped = (before >= 0) & (a[np.maximum(before, 0)] == ord("\\")) & ((before - run) % 2 == 0)
    return quotes[~escaped]
