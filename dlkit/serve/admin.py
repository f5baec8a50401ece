"""`POST /v1/models/NAME:reload`, the endpoint that changes what a server serves, behind four
guards checked before anything is read or loaded: the admin token when the server has one (401),
`Content-Type: application/json` (415: a web page the user visits can send a browser's simple
request, text/plain, to 127.0.0.1, but not JSON), on a loopback server a `Host` that names this
machine (403: a page whose own name was rebound to 127.0.0.1, DNS rebinding, sends that name), and
a run under the server's roots (403)."""

# No `from __future__ import annotations`: FastAPI reads the route's annotations at definition time.
import hashlib
import hmac
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dlkit.serve.bodies import BadRequest, parse_json, read_body
from dlkit.serve.roots import loopback

router = APIRouter()


@router.post("/v1/models/{name}:reload")
async def reload(name: str, request: Request):
    """Body (optional): {"run": "RUN"}; without it, what the model was started from, asked again."""
    store, options = request.app.state.store, request.app.state.options
    authorize(request, options.admin_token)
    require_json(request)
    require_local_host(request)
    store.find(name)
    run = reload_target(await read_body(request, options.max_body, options.read_timeout), store.roots)
    outcome = await store.reload(name, run)
    if outcome["outcome"] != "loaded":
        serving = store.models[name].default
        still = f"version {serving.number} ({store.roots.name(serving.run_dir)}) is still serving"
        return JSONResponse({"error": f"{outcome['error']}; {still}", **store.models[name].status()}, status_code=400)
    return store.models[name].status()


def authorize(request: Request, token: str | None) -> None:
    """401 unless the server has no token or the request has `Authorization: Bearer TOKEN`;
    compared as digests, in time that depends on neither the token nor its length."""
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(_digest(given.strip()), _digest(token)):
        raise BadRequest(
            "this endpoint needs the server's admin token: Authorization: Bearer TOKEN (--admin-token)",
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


def require_json(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        received = media[:60] or "no Content-Type"
        raise BadRequest(f"this endpoint takes Content-Type: application/json. Received: {received}", 415)


def require_local_host(request: Request) -> None:
    """A server listening on a loopback address takes admin requests only addressed to a loopback
    name (`localhost`, `127.0.0.1`, `[::1]`, with any port): what a browser sends as `Host` for a
    page of another name is that name, even after its DNS answer was rebound to 127.0.0.1."""
    server = request.scope.get("server") or ("", None)
    if not loopback(server[0]):
        return
    host = request.headers.get("host", "")
    name = host[1:].partition("]")[0] if host.startswith("[") else host.rpartition(":")[0] if ":" in host else host
    if not loopback(name):
        raise BadRequest(
            f"this server listens on {server[0]}: its admin endpoints answer requests addressed to localhost or "
            f"127.0.0.1 only. Received: Host {host[:60]!r}",
            403,
        )


def reload_target(body: bytes, roots) -> Path | None:
    """The run folder a reload body names, resolved (symlinks, `..`) and under the roots (403, one
    answer whether or not it exists, before anything of it is read); None: no body, no run."""
    from dlkit.core.errors import DlkitError
    from dlkit.core.runs import resolve_run

    if not body.strip():
        return None
    data = parse_json(body)
    if not isinstance(data, dict) or set(data) - {"run"} or not isinstance(data.get("run", ""), str):
        raise BadRequest('expected {"run": "RUN"} or no body')
    if not data.get("run"):
        return None
    try:
        return resolve_run(roots.find(data["run"]))
    except DlkitError as e:
        raise BadRequest(roots.scrub(str(e))) from None
    except OSError as e:  # a name too long, a folder not readable
        raise BadRequest(f"cannot read the run folder ({e.strerror or type(e).__name__})") from None
