"""`dlkit serve` at its trust boundaries, as a real subprocess on a loopback port: `:reload` needs
JSON, the admin token when there is one, and a run under the folders the server was started with
(403 alike for a path that exists and one that does not, before anything of it is loaded); answers
name runs without absolute paths; client mistakes (deep nesting, huge numbers, NaN, bodies too
large, stalled or vanished clients) are 4xx and one log line, never a 5xx or a traceback; a fuzz
of request bodies against one server finds no 5xx and no runaway memory. Uses the runs of
e2e/test_serve.py (conftest's `serve_runs`)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import REPO
from helpers.serve import _digits, _serving, free_port, wait_until_serving

TOKEN = "s3cret-admin-token"

RIGHT = {"Authorization": f"Bearer {TOKEN}"}

RELOAD = "/v1/models/tiny:reload"

PREDICT = "/v1/models/tiny:predict"


def _start(args: list, folder: Path, env: dict | None = None) -> dict:
    """`dlkit serve ARGS` with its stderr in folder/stderr.log; stopped by the fixture."""
    port, log = free_port(), folder / "stderr.log"
    command = [sys.executable, "-m", "dlkit", "serve", *map(str, args), "--port", str(port), "--poll", "0"]
    environment = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, env=environment, cwd=folder, stdout=subprocess.DEVNULL, stderr=stderr)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    wait_until_serving(client, process, log=log)
    return {"client": client, "process": process, "port": port, "log": log}


def _stop(server: dict) -> None:
    server["client"].close()
    server["process"].terminate()
    server["process"].wait(30)


@pytest.fixture(scope="module")
def guarded(serve_runs, tmp_path_factory):
    """The tiny, ratings and text runs behind an admin token (DLKIT_SERVE_TOKEN), with a
    --read-timeout of 1 s and a --max-body of 256KB."""
    runs = [serve_runs["tiny"][0], serve_runs["table"], serve_runs["text"]]
    args = [*runs, "--read-timeout", "1", "--max-body", "256KB"]
    server = _start(args, tmp_path_factory.mktemp("guarded"), {"DLKIT_SERVE_TOKEN": TOKEN})
    yield server
    _stop(server)


@pytest.fixture(scope="module")
def open_server(serve_runs, tmp_path_factory):
    """The tiny run with no token, taking non-finite numbers (--allow-nonfinite)."""
    server = _start([serve_runs["tiny"][0], "--allow-nonfinite"], tmp_path_factory.mktemp("open"))
    yield server
    _stop(server)


def _with(images: str, value: str) -> bytes:
    """`images` (a JSON body of 8x8 images of zeros) with `value` as its last image's first pixel."""
    head, _, tail = images.rpartition("[[0,")
    return f"{head}[[{value},{tail}".encode()


def _good(client) -> None:
    response = client.post(PREDICT, json={"instances": [_digits(1)[0].tolist()]})
    assert response.status_code == 200, response.text


def test_reload_takes_only_json_with_the_admin_token(guarded, serve_runs):
    client, name = guarded["client"], serve_runs["tiny"][1].name  # a run's name, as answers give it
    for sent in [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN}x"]:
        refused = client.post(RELOAD, json={"run": name}, headers={"Authorization": sent} if sent else {})
        assert refused.status_code == 401, refused.text
        assert "admin token" in refused.json()["error"] and refused.headers["www-authenticate"] == "Bearer"
    for content_type in ["text/plain", "application/x-www-form-urlencoded", None]:
        headers = {**RIGHT, **({"Content-Type": content_type} if content_type else {})}
        refused = client.post(RELOAD, content=json.dumps({"run": name}).encode(), headers=headers)
        assert refused.status_code == 415 and "application/json" in refused.json()["error"], refused.text
    assert _serving(client, "tiny") == serve_runs["tiny"][0].name
    for host in ["attacker.example", "attacker.example:8501", "10.0.0.1"]:  # a page rebound to 127.0.0.1
        refused = client.post(RELOAD, json={"run": name}, headers={**RIGHT, "Host": host})
        assert refused.status_code == 403 and "localhost or 127.0.0.1" in refused.json()["error"], refused.text
    assert _serving(client, "tiny") == serve_runs["tiny"][0].name
    for host in ["localhost", f"localhost:{guarded['port']}", "127.0.0.1"]:
        assert client.post(RELOAD, headers={**RIGHT, "Host": host, "Content-Type": "application/json"}).is_success
    reloaded = client.post(RELOAD, json={"run": name}, headers=RIGHT)
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["last_reload"]["run"] == name == _serving(client, "tiny")


def _marked_run(source: Path, folder: Path, marker: Path) -> Path:
    """A copy of `source` under `folder` whose config lists a plug-in that writes `marker`."""
    run = folder / source.name
    shutil.copytree(source, run)
    (run / "plugins").mkdir(exist_ok=True)
    (run / "plugins" / "mark.py").write_text(f"from pathlib import Path\n\nPath({str(marker)!r}).write_text('ran')\n")
    config = yaml.safe_load((run / "config.yaml").read_text())
    (run / "config.yaml").write_text(yaml.safe_dump({**config, "plugins": ["plugins/mark.py"]}, sort_keys=False))
    return run


def test_a_run_outside_the_roots_is_refused_alike_and_never_loaded(open_server, serve_runs, tmp_path):
    """An existing run, a missing path, `..` out of the runs folder and a symlink in it to the run
    outside: one 403 answer each, and the run's plug-in never runs. No token needed for that."""
    client, images = open_server["client"], serve_runs["latest"].parent
    marker = tmp_path / "marker"
    outside = _marked_run(serve_runs["tiny"][0], tmp_path / "elsewhere", marker)
    link = images / f"link-{os.getpid()}"
    link.symlink_to(outside, target_is_directory=True)
    paths = [outside, tmp_path / "nothing-here", f"{images}/{os.path.relpath(outside, images)}", link, link.name]
    paths += [os.path.relpath(outside, images)]
    try:
        answers = {str(g): client.post(RELOAD, json={"run": str(g)}) for g in paths}
    finally:
        link.unlink()
    bodies = {(r.status_code, r.content) for r in answers.values()}
    assert len(bodies) == 1 and next(iter(bodies))[0] == 403, {g: r.text for g, r in answers.items()}
    assert "not under the runs folders" in answers[str(outside)].json()["error"]
    assert not marker.exists()
    body = json.dumps({"run": str(outside)}).encode()
    plain = client.post(RELOAD, content=body, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and not marker.exists()
    assert _serving(client, "tiny") == serve_runs["tiny"][0].name


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_answers_name_runs_without_absolute_paths(guarded, serve_runs):
    """Metadata, status (a failed reload's error too), health and /metrics."""
    client, folder = guarded["client"], str(serve_runs["folder"])
    broken = serve_runs["broken"].relative_to(serve_runs["latest"].parent).as_posix()
    failed = client.post("/v1/models/tiny:reload", json={"run": broken}, headers=RIGHT)
    assert failed.status_code == 400 and f"{broken}/model.keras" in failed.json()["error"], failed.text
    meta = client.get("/v1/models/ratings/metadata").json()
    assert meta["metadata"]["run"] == serve_runs["table"].name
    answers = [failed.json(), meta]
    for path in ["/v1/models/tiny/metadata", "/v1/models/text/versions/1/metadata", "/v1/models/tiny", "/healthz"]:
        answers.append(client.get(path).json())
    absolute = [s for s in _strings(answers) if s.startswith("/") or folder in s]
    assert absolute == []
    assert folder not in client.get("/metrics").text


LARGE = b'{"instances": [' + b"0," * 140_000 + b"0]}"


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (PREDICT, b"[" * 100_000 + b"]" * 100_000, 400, "nests lists and objects 100000 deep"),
        (PREDICT, b'{"instances": ' + b"[" * 40 + b"0" + b"]" * 40 + b"}", 400, "at most 32"),
        (PREDICT, b'{"instances": [' + b"7" * 5000 + b"]}", 400, "more than 4300 digits"),
        (PREDICT, _with(json.dumps({"instances": [[[0] * 8] * 8]}), "9" * 4000), 400, "instance 0: a number beyond"),
        (PREDICT, _with(json.dumps({"instances": [[[0] * 8] * 8] * 2}), "NaN"), 400, "instance 1: not a finite"),
        (PREDICT, _with(json.dumps({"instances": [[[0] * 8] * 8] * 2}), "Infinity"), 400, "instance 1: not a finite"),
        (PREDICT, _with(json.dumps({"instances": [[[0] * 8] * 8] * 3}), "-Infinity"), 400, "instance 2: not a finite"),
        (PREDICT, _with(json.dumps({"instances": [[[0] * 8] * 8] * 2}), "1e999"), 400, "--allow-nonfinite"),
        (
            "/v1/models/ratings:predict",
            b'{"instances": [{"user_id": 3, "item_id": NaN}]}',
            400,
            "instance 0: column 'item_id': not a finite",
        ),
        ("/v1/models/text:predict", b'{"instances": ["fine", "\\ud800 lone"]}', 400, "instance 1: the string holds"),
        (
            "/v1/models/ratings:predict",
            b'{"instances": [{"user_id": "\\udc80", "item_id": 101}]}',
            400,
            "instance 0: column 'user_id': the string holds an unpaired surrogate",
        ),
        ("/v1/models/tiny/versions/\u00b2:predict", b"{}", 404, "model 'tiny' has no version \u00b2"),
        (f"/v1/models/tiny/versions/{'9' * 5000}:predict", b"{}", 404, "model 'tiny' has no version 999"),
        (RELOAD, b'{"run": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400, "nests lists and objects"),
    ],
)
def test_client_mistakes_are_4xx_and_the_server_goes_on(guarded, path, body, status, message):
    client = guarded["client"]
    response = client.post(path, content=body, headers={**RIGHT, "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    _good(client)
    assert guarded["process"].poll() is None


def test_a_body_past_max_body_is_refused_and_not_read_on(guarded):
    """By its Content-Length, or as it arrives without one (chunked); the connection is closed
    rather than drained."""
    chunks = (b'{"instances": [' if i == 0 else b"0," * 10_000 for i in range(100))
    for body, message in [(LARGE, "at most 262144"), (chunks, "over 262144 bytes")]:
        response = guarded["client"].post(PREDICT, content=body)
        assert response.status_code == 413 and message in response.json()["error"]
        assert response.headers["connection"] == "close"
    _good(guarded["client"])


def test_allow_nonfinite_takes_nan_and_answers(open_server):
    response = open_server["client"].post(PREDICT, content=_with(json.dumps({"instances": [[[0] * 8] * 8] * 2}), "NaN"))
    assert response.status_code == 200, response.text
    assert len(json.loads(response.text)["predictions"]) == 2


def _until_closed(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and when it closed (seconds)."""
    started, got = time.monotonic(), b""
    sock.settimeout(seconds)
    with sock:
        while chunk := sock.recv(4096):
            got += chunk
    return got, time.monotonic() - started


HEAD = b"POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def test_a_stalled_client_is_disconnected_after_read_timeout(guarded):
    """--read-timeout 1: a body that stops at 10 of 100 bytes gets 408 and the connection closed;
    headers that never end, or nothing at all, get the connection closed."""
    for sent, answer in [(HEAD + b"Content-Length: 100\r\n\r\n0123456789", b"HTTP/1.1 408 "), (HEAD, b""), (b"", b"")]:
        sock = socket.create_connection(("127.0.0.1", guarded["port"]))
        sock.sendall(sent)
        got, seconds = _until_closed(sock, 15)
        assert got.startswith(answer) and (answer or not got), got[:200]
        assert 0.9 < seconds < 6, seconds
    _good(guarded["client"])


def test_a_client_gone_mid_request_is_one_line_and_a_499(guarded):
    sock = socket.create_connection(("127.0.0.1", guarded["port"]))
    sock.sendall(HEAD + b"Content-Length: 1000\r\n\r\n" + b'{"instances": [[')
    time.sleep(0.2)
    sock.close()
    deadline = time.monotonic() + 10
    while 'code="499"' not in (text := guarded["client"].get("/metrics").text) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert 'dlkit_serve_requests_total{code="499",model="tiny"}' in text and 'code="500"' not in text
    log = guarded["log"].read_text()
    assert "Traceback" not in log and log.count("closed the connection before its request was complete") == 1, log


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=40,
)

numbers = st.one_of(
    st.floats(),
    st.integers(-(10**60), 10**60),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e39", "9" * 4299, "9" * 4301, "null"]),
    st.sampled_from(['"\\ud800"', '"a\\udfff"', '"\\u0000"', '"7"']),
)


FUZZED_PATHS = [PREDICT, "/v1/models/ratings:predict", "/v1/models/text:predict", RELOAD]
FUZZED_PATHS += ["/v1/models/tiny/versions/\u00b2:predict", f"/v1/models/tiny/versions/{'9' * 5000}:predict"]


@st.composite
def requests(draw) -> tuple[str, dict, bytes]:
    """A path, headers and a body: JSON trees, instances of the wrong shape or type, bytes, huge
    or non-finite numbers, deep lists; under any content type, with or without the token."""
    path = draw(st.sampled_from(FUZZED_PATHS))
    kind = draw(st.sampled_from(["tree", "instances", "inputs", "bytes", "number", "deep", "rows", "texts"]))
    if kind == "tree":
        body = json.dumps(draw(values)).encode()
    elif kind in ("instances", "inputs"):
        body = json.dumps({kind: draw(st.lists(values, max_size=4))}).encode()
    elif kind == "bytes":
        body = draw(st.binary(max_size=300))
    elif kind == "number":
        body = _with(json.dumps({"instances": [[[0] * 8] * 8] * draw(st.integers(1, 3))}), str(draw(numbers)))
    elif kind == "texts":  # lone surrogates too, which json.dumps writes as "\\ud800"
        texts = st.text(max_size=30) | st.sampled_from(["\ud800", "x\udc00y", "\x00", ""])
        body = json.dumps({"instances": draw(st.lists(texts, min_size=1, max_size=4))}).encode()
    elif kind == "deep":
        depth = draw(st.integers(1, 200_000))
        body = b'{"instances": ' + b"[" * depth + b"1" + b"]" * depth + b"}"
    else:
        user, item = draw(numbers), draw(numbers)
        body = f'{{"instances": [{{"user_id": {user}, "item_id": {item}}}]}}'.encode()
    media = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"]
    headers = {"Content-Type": draw(st.sampled_from(media))} if draw(st.booleans()) else {}
    if draw(st.booleans()):
        headers["Authorization"] = draw(st.sampled_from([f"Bearer {TOKEN}", "Bearer nope", TOKEN]))
    return path, headers, body


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


@pytest.fixture(scope="module")
def fuzz_start(guarded, serve_runs):
    """The server warmed up (a prediction of each model), then its RSS."""
    client = guarded["client"]
    _good(client)
    assert client.post("/v1/models/text:predict", json={"instances": ["fine"]}).status_code == 200
    row = {"user_id": 3, "item_id": 101}
    assert client.post("/v1/models/ratings:predict", json={"instances": [row]}).status_code == 200
    return _rss_mb(guarded["process"].pid)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(request=requests())
@example(request=(PREDICT, {}, b"[" * 100_000 + b"]" * 100_000))
@example(request=("/v1/models/text:predict", {}, b'{"instances": ["\\ud800"]}'))
def test_fuzzed_requests_get_no_5xx_and_memory_stays_bounded(guarded, fuzz_start, request):
    client = guarded["client"]
    path, headers, body = request
    response = client.post(path, content=body, headers=headers)
    assert response.status_code < 500, (path, headers, body[:300], response.text[:300])
    assert guarded["process"].poll() is None
    _good(client)
    assert _rss_mb(guarded["process"].pid) < fuzz_start + 400


def test_the_options_reach_the_server(cli, serve_runs, monkeypatch):
    """--admin-token (or DLKIT_SERVE_TOKEN), --read-timeout, --allow-nonfinite, --max-body."""
    from dlkit.serve.app import Options

    seen = []

    def serve(runs, sock, options, **kwargs):
        sock.close()
        seen.append(options)

    monkeypatch.setattr("dlkit.serve.server.serve", serve)
    run = serve_runs["tiny"][0]
    flags = ["--admin-token", "t0k", "--read-timeout", "2.5", "--allow-nonfinite", "--max-body", "1MB"]
    assert cli("serve", run, "--port", "0", *flags).exit_code == 0
    assert seen[-1] == Options(max_body=2**20, read_timeout=2.5, allow_nonfinite=True, admin_token="t0k", poll=2.0)
    monkeypatch.setenv("DLKIT_SERVE_TOKEN", "from-the-environment")
    assert cli("serve", run, "--port", "0").exit_code == 0
    assert seen[-1] == Options(admin_token="from-the-environment", poll=2.0)
    helped = cli("serve", "--help")
    assert all(f in helped.output for f in ["--admin-token", "--read-timeout", "--allow-nonfinite", "--max-body"])
    assert "DLKIT_SERVE_TOKEN" in helped.output and "from-the-environment" not in helped.output
    monkeypatch.setenv("DLKIT_SERVE_TOKEN", " ")
    empty = cli("serve", run, "--port", "0")
    assert empty.exit_code == 2 and "--admin-token (or DLKIT_SERVE_TOKEN) is empty" in empty.stderr
    monkeypatch.delenv("DLKIT_SERVE_TOKEN")
    exposed = cli("serve", run, "--port", "0", "--host", "0.0.0.0")
    assert exposed.exit_code == 0 and "serving on 0.0.0.0 with no --admin-token" in exposed.stderr
    assert "no --admin-token" not in cli("serve", run, "--port", "0").stderr  # 127.0.0.1: the Host check guards it
