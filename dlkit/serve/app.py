"""The HTTP surface of `dlkit serve`: TF Serving's REST API (predict, model status, metadata), a
reload endpoint (dlkit/serve/admin.py), `/healthz` and `/metrics`. Every error is
`{"error": "..."}` with its status code; a bad request is the caller's, never the server's end.
Answers name runs relative to the folders the server was started with, never by absolute path."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition time.
import contextlib
import dataclasses
import json
import logging
import time

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from dlkit.serve import admin
from dlkit.serve.bodies import BadRequest, read_body
from dlkit.serve.instances import instances_of, nonfinite

log = logging.getLogger("dlkit.serve")


@dataclasses.dataclass(frozen=True)
class Options:
    """How a server reads requests and answers them (the CLI's options)."""

    #: Largest request body, in bytes (413 past it).
    max_body: int = 10 * 2**20
    #: Seconds a request's headers have to arrive (else the connection is closed), and then its
    #: body (else 408 and closed).
    read_timeout: float = 10.0
    #: How many classes each prediction lists.
    top_k: int = 3
    #: Take NaN, infinities and numbers beyond the input's float range (refused with 400 by default).
    allow_nonfinite: bool = False
    #: The token `:reload` needs as `Authorization: Bearer TOKEN`; None: none needed.
    admin_token: str | None = None
    #: Seconds between looks for a newer run; None: never.
    poll: float | None = None


class Json(JSONResponse):
    """JSON that writes NaN and infinities as Python and TF Serving write them (`NaN`, `Infinity`)
    rather than failing: predictions with --allow-nonfinite, a run's NaN test metric."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=True, separators=(",", ":")).encode()


def error(status: int, message: str, headers: dict | None = None) -> Json:
    return Json({"error": message}, status_code=status, headers=headers)


router = APIRouter()


def make_app(store, metrics, options: Options) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        await store.start(options.poll)
        yield
        await store.stop()

    app = FastAPI(
        title="dlkit serve",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        default_response_class=Json,
    )
    app.state.store, app.state.metrics, app.state.options = store, metrics, options
    app.add_exception_handler(BadRequest, _bad_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.include_router(router)
    app.include_router(admin.router)
    return app


async def _bad_request(request: Request, e: BadRequest):
    return error(e.status, str(e), e.headers)


async def _http_error(request: Request, e: HTTPException):
    where = f"{request.method} {request.url.path}"
    if e.status_code == 404:
        return error(404, f"no such endpoint: {where}; try POST /v1/models/NAME:predict")
    if e.status_code == 405:
        return error(405, f"method not allowed: {where}")
    return error(e.status_code, str(e.detail))


async def _invalid(request: Request, e: RequestValidationError):
    return error(400, "; ".join(str(item.get("msg")) for item in e.errors())[:300])


@router.post("/v1/models/{name}:predict")
async def predict_default(name: str, request: Request):
    return await predict(request, name, None)


@router.post("/v1/models/{name}/versions/{number}:predict")
async def predict_version(name: str, number: str, request: Request):
    return await predict(request, name, number)


async def predict(request: Request, name: str, number: str | None):
    """Decode the instances, queue them for the version's batcher, answer with what it gives; every
    answer counted in /metrics by its code (499: the client went away mid-request)."""
    store, options = request.app.state.store, request.app.state.options
    started = time.perf_counter()
    label, status = name if name in store.models else "-", 200
    try:
        version = store.find(name, number)
        with version.batcher.arriving():
            body = await read_body(request, options.max_body, options.read_timeout)
            decoded = version.decoder.decode(instances_of(body), finite=not options.allow_nonfinite)
            future = version.batcher.submit(decoded.examples, decoded.count)
        outputs = await future
        if not options.allow_nonfinite:
            _refuse_nonfinite(outputs)
        return Json({"predictions": version.describe(outputs, decoded.unseen, options.top_k)})
    except BadRequest as e:
        status = e.status
        return error(status, str(e), e.headers)
    except Exception as e:  # a bug of ours: logged with its traceback, answered, and the server goes on
        log.exception(f"{name}: predict failed")
        status = 500
        return error(500, store.roots.scrub(f"internal error: {type(e).__name__}: {str(e)[:200]}"))
    finally:
        request.app.state.metrics.record(label, status, time.perf_counter() - started)


def _refuse_nonfinite(outputs) -> None:
    """Finite inputs far outside what a model was trained on can give NaN: refused as the inputs'
    fault rather than answered with a meaningless label."""
    bad = nonfinite(outputs)
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise BadRequest(
            f"instance {bad[0]}{more}: the model's output is not a finite number; its inputs are far from "
            "what it was trained on (--allow-nonfinite answers NaN)"
        )


@router.get("/v1/models/{name}")
async def status(name: str, request: Request):
    store = request.app.state.store
    if name.endswith((":predict", ":reload")):
        raise BadRequest(f"method not allowed: GET /v1/models/{name} takes POST", 405)
    store.find(name)
    return store.models[name].status()


@router.get("/v1/models/{name}/versions/{number}")
async def version_status(name: str, number: str, request: Request):
    store = request.app.state.store
    version = store.find(name, number)
    status = store.models[name].status()
    status["model_version_status"] = [s for s in status["model_version_status"] if s["version"] == str(version.number)]
    return status


@router.get("/v1/models/{name}/metadata")
async def metadata(name: str, request: Request):
    return _metadata(request.app.state.store, request.app.state.store.find(name))


@router.get("/v1/models/{name}/versions/{number}/metadata")
async def version_metadata(name: str, number: str, request: Request):
    return _metadata(request.app.state.store, request.app.state.store.find(name, number))


@router.get("/healthz")
async def healthz(request: Request):
    models = request.app.state.store.models
    return {"status": "ok", "models": {name: served.default.number for name, served in models.items()}}


@router.get("/metrics")
async def prometheus(request: Request):
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(request.app.state.metrics.text(), media_type=CONTENT_TYPE_LATEST)


def _metadata(store, version) -> dict:
    """The run behind a version: its input, classes, task, run (by name), and a summary of its
    config and test figures."""
    from dlkit.core.run_record import BadRunFile
    from dlkit.core.runs import read_metrics, read_run

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
            "run": store.roots.name(version.run_dir),
            "status": status,
            "config": {
                "dataset": config.data.dataset,
                "layers": len(getattr(config.model, "layers", None) or []),
                "params": int(version.model.count_params()),
            },
            "test_metrics": metrics,
        },
    }
