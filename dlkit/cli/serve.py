"""`dlkit serve`: runs behind TF Serving's REST API (dlkit/serve/)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import typer

from dlkit.cli.common import BackendOption, PluginOption, RunsDirOption, TrustOption, app, err, user_errors
from dlkit.core.errors import UsageError

_UNITS = {"": 1, "B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}

MaxBodyOption = typer.Option(
    "10MB",
    "--max-body",
    help="Largest request body: bytes, or KB/MB/GB (1024-based); a larger one is refused (413) as it arrives.",
)
AdminTokenOption = typer.Option(
    None,
    "--admin-token",
    envvar="DLKIT_SERVE_TOKEN",
    show_default=False,
    help="Token POST :reload then needs, as 'Authorization: Bearer TOKEN' (401 without it). "
    "Prefer the DLKIT_SERVE_TOKEN variable: a command line is visible to other users.",
)
ReadTimeoutOption = typer.Option(
    10.0,
    "--read-timeout",
    min=0.001,
    help="Seconds a client has to send a request's headers, and then its body; a slower or "
    "stalled one is disconnected (408 once its headers are in).",
)
AllowNonfiniteOption = typer.Option(
    False,
    "--allow-nonfinite",
    help="Take NaN, Infinity and numbers past the model's float range in instances (400 by "
    "default), and answer NaN where the model gives it.",
)


@app.command()
@user_errors
def serve(
    runs: list[Path] | None = typer.Argument(
        None, help="Run folders (or runs/latest); several runs of one name are its versions. Default: the newest run."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8501, "--port", min=0, max=65535, help="Port (TF Serving's REST port by default)."),
    runs_dir: Path = RunsDirOption,
    max_batch: int = typer.Option(32, "--max-batch", min=1, help="Most examples per model call."),
    batch_timeout_ms: float = typer.Option(
        2.0, "--batch-timeout-ms", min=0, help="Longest a batch waits for requests known to be on their way."
    ),
    max_body: str = MaxBodyOption,
    poll: float = typer.Option(
        2.0, "--poll", min=0, help="Seconds between looks for a newer run (default run or runs/latest); 0: never."
    ),
    top_k: int = typer.Option(3, "--top-k", min=1, help="How many classes each prediction lists."),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
    backend: str | None = BackendOption,
    admin_token: str | None = AdminTokenOption,
    read_timeout: float = ReadTimeoutOption,
    allow_nonfinite: bool = AllowNonfiniteOption,
):
    """Serve runs over HTTP with TF Serving's REST API (POST /v1/models/NAME:predict), dynamic
    batching, /metrics and hot reload. Stop with Ctrl-C."""
    _check_extras()
    limit = _bytes(max_body)
    _check_token(admin_token, host)
    chosen = _chosen_runs(runs, runs_dir)
    sock = _listen(host, port)
    from dlkit.serve.app import Options
    from dlkit.serve.server import serve as run_server

    options = Options(
        max_body=limit,
        read_timeout=read_timeout,
        top_k=top_k,
        allow_nonfinite=allow_nonfinite,
        admin_token=admin_token,
        poll=poll or None,
    )
    run_server(chosen, sock, options, max_batch=max_batch, batch_timeout_ms=batch_timeout_ms, on_ready=_ready)


def _check_extras() -> None:
    missing = [m for m in ("fastapi", "uvicorn", "prometheus_client") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError('dlkit serve needs the serve extra: pip install "dlkit[serve]"')


def _check_token(admin_token: str | None, host: str) -> None:
    """An empty token is a mistake; no token on an address others reach is a warning."""
    from dlkit.serve.roots import loopback

    if admin_token is not None and not admin_token.strip():
        raise UsageError("--admin-token (or DLKIT_SERVE_TOKEN) is empty; give a secret, or unset it for no token")
    if admin_token is None and not loopback(host):
        err.print(
            f"dlkit: warning: serving on {host} with no --admin-token: anyone who reaches this port can reload "
            "the runs under its roots",
            markup=False,
            highlight=False,
        )


def _chosen_runs(runs: list[Path] | None, runs_dir: Path) -> list[tuple]:
    """Each run folder to serve, with where a newer one is looked for (default: the newest run)."""
    from dlkit.core.runs import resolve_run
    from dlkit.serve.store import source_of

    chosen = [(resolve_run(run), source_of(run, runs_dir)) for run in runs] if runs else []
    return chosen or [(resolve_run(None, runs_dir), source_of(None, runs_dir))]


def _listen(host: str, port: int):
    from dlkit.serve.server import bind

    try:
        return bind(host, port)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port} ({e.strerror or e}); try another --port") from None


def _ready(store, url: str) -> None:
    served = []
    for name, model in store.models.items():
        versions = ", ".join(f"version {v.number}: {v.run_dir}" for v in model.versions.values())
        served.append(f"{name} ({versions})")
    typer.echo(f"serving {', '.join(served)} on {url}")


def _bytes(text: str) -> int:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", text.upper())
    if not found or float(found[1]) <= 0:
        raise UsageError(f"--max-body: expected a size like 10MB, 512KB or 1000000. Received: {text!r}")
    return int(float(found[1]) * _UNITS[found[2] if found[2] in _UNITS else found[2] + "B"])
