"""The HTTP surface of `dlkit serve`: TF Serving's REST API (predict, model status, metadata), a
reload endpoint, `/healthz` and `/metrics`. Every error is `{"error": "..."}` with its status
code; a bad request is the caller's, never the server's end."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations (`Request`,
# imported inside make_app) at definition time.
import contextlib
import json
import logging
import time
from pathlib import Path

from dlkit.serve.instances import BadRequest, instances_of
from dlkit.serve.metrics import Metrics
from dlkit.serve.store import Store

log = logging.getLogger("dlkit.serve")


def make_app(store: Store, metrics: Metrics, max_body: int = 10 * 2**20, top_k: int = 3, poll: float | None = None):
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await store.start(poll)
        yield
        await store.stop()

    app = FastAPI(title="dlkit serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, e: BadRequest):
        return error(e.status, str(e))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):
        where = f"{request.method} {request.url.path}"
        if e.status_code == 404:
            return error(404, f"no such endpoint: {where}; try POST /v1/models/NAME:predict")
        if e.status_code == 405:
            return error(405, f"method not allowed: {where}")
        return error(e.status_code, str(e.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        return error(400, "; ".join(str(item.get("msg")) for item in e.errors())[:300])

    async def predict(request: Request, name: str, number: str | None):
        started = time.perf_counter()
        label, status = name if name in store.models else "-", 200
        try:
            version = store.find(name, number)
            with version.batcher.arriving():
                decoded = version.decoder.decode(instances_of(await read_body(request, max_body)))
                future = version.batcher.submit(decoded.examples, decoded.count)
            outputs = await future
            return JSONResponse({"predictions": version.describe(outputs, decoded.unseen, top_k)})
        except BadRequest as e:
            status = e.status
            return error(status, str(e))
        except Exception as e:  # a bug of ours: logged with its traceback, answered, and the server goes on
            log.exception(f"{name}: predict failed")
            status = 500
            return error(500, f"internal error: {type(e).__name__}: {str(e)[:200]}")
        finally:
            metrics.record(label, status, time.perf_counter() - started)

    @app.post("/v1/models/{name}:predict")
    async def predict_default(name: str, request: Request):
        return await predict(request, name, None)

    @app.post("/v1/models/{name}/versions/{number}:predict")
    async def predict_version(name: str, number: str, request: Request):
        return await predict(request, name, number)

    @app.get("/v1/models/{name}")
    async def status(name: str):
        if name.endswith((":predict", ":reload")):
            raise BadRequest(f"method not allowed: GET /v1/models/{name} takes POST", 405)
        store.find(name)
        return store.models[name].status()

    @app.get("/v1/models/{name}/versions/{number}")
    async def version_status(name: str, number: str):
        version = store.find(name, number)
        status = store.models[name].status()
        status["model_version_status"] = [
            s for s in status["model_version_status"] if s["version"] == str(version.number)
        ]
        return status

    @app.get("/v1/models/{name}/metadata")
    async def metadata(name: str):
        return _metadata(store.find(name))

    @app.get("/v1/models/{name}/versions/{number}/metadata")
    async def version_metadata(name: str, number: str):
        return _metadata(store.find(name, number))

    @app.post("/v1/models/{name}:reload")
    async def reload(name: str, request: Request):
        """Body (optional): {"run": "PATH"}; without it, what the model was started from, asked again."""
        from dlkit.errors import DlkitError
        from dlkit.runs import resolve_run

        store.find(name)
        body = await read_body(request, max_body)
        run = None
        if body.strip():
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError) as e:
                raise BadRequest(f"the body is not JSON ({e})") from None
            if not isinstance(data, dict) or set(data) - {"run"} or not isinstance(data.get("run", ""), str):
                raise BadRequest('expected {"run": "PATH"} or no body')
            if data.get("run"):
                try:
                    run = resolve_run(Path(data["run"]))
                except DlkitError as e:
                    raise BadRequest(str(e)) from None
        outcome = await store.reload(name, run)
        if outcome["outcome"] != "loaded":
            serving = store.models[name].default
            message = f"{outcome['error']}; version {serving.number} ({serving.run_dir}) is still serving"
            return JSONResponse({"error": message, **store.models[name].status()}, status_code=400)
        return store.models[name].status()

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "models": {name: served.default.number for name, served in store.models.items()}}

    @app.get("/metrics")
    async def prometheus():
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(metrics.text(), media_type=CONTENT_TYPE_LATEST)

    return app


async def read_body(request, limit: int) -> bytes:
    """The body, refused (413) past `limit` bytes by its Content-Length or, without one or when it
    lies, by the bytes that came."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise BadRequest(f"the body is {int(length)} bytes; this server takes at most {limit} (--max-body)", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"the body is over {limit} bytes, the most this server takes (--max-body)", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _metadata(version) -> dict:
    """The run behind a version: its input, classes, task, folder, and a summary of its config and
    test figures."""
    from dlkit.run_record import BadRunFile
    from dlkit.runs import read_metrics, read_run

    config = version.config
    status, metrics = None, {}
    with contextlib.suppress(BadRunFile):  # its files changed since it was loaded: left out
        status = read_run(version.run_dir).get("status")
        metrics = read_metrics(version.run_dir).get("test") or {}
    return {
        "model_spec": {"name": version.name, "version": str(version.number), "signature_name": "serving_default"},
        "metadata": {
            "input": version.decoder.describe_input(),
            "classes": version.info.get("classes") or [],
            "task": version.task.name,
            "run": str(version.run_dir),
            "status": status,
            "config": {
                "dataset": config.data.dataset,
                "layers": len(getattr(config.model, "layers", None) or []),
                "params": int(version.model.count_params()),
            },
            "test_metrics": metrics,
        },
    }
