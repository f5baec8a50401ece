"""`dlkit serve` as users run it: a real subprocess on a loopback port, spoken to in TF Serving's
REST format. Predictions equal `dlkit predict --json` on the same inputs (images as raw pixels and
as files, table rows with integer ids, blanks and unseen values); every bad request is a 4xx with
`{"error": ...}` and the server goes on; runs promoted under traffic (POST :reload, `runs/latest`
moving) fail no request; a broken run leaves the old one serving. The batcher is tested alone too."""

import asyncio
import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from conftest import REPO
from dlkit.core.runs import point_latest
from helpers.predict_tables import ratings
from helpers.serve import _digits, _serving, free_port, wait_until_serving


@pytest.fixture(scope="module")
def server(serve_runs):
    """`dlkit serve runs/latest RATINGS_RUN` in a subprocess; stopped by SIGTERM, which must exit 0."""
    port = free_port()
    runs = serve_runs
    command = [sys.executable, "-m", "dlkit", "serve", str(runs["latest"]), str(runs["table"]), str(runs["text"])]
    command += ["--port", str(port)]
    command += ["--poll", "0.3", "--max-body", "64KB", "--top-k", "3"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(command, env=env, cwd=runs["folder"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=30)
    wait_until_serving(client, process)
    yield {"url": url, "client": client, "process": process}
    client.close()
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    ready = process.stdout.read().decode()
    assert ready.startswith("serving tiny (version 1: ") and f"on {url}" in ready


def _png(pixels: np.ndarray, size: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).resize((size, size), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def _predict_json(cli, run: Path, *inputs) -> list[dict]:
    result = cli("predict", *inputs, "--run", run, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["predictions"]


def _same(served: list[dict], predicted: list[dict]) -> None:
    assert [row["label"] for row in served] == [row["label"] for row in predicted]
    assert np.allclose([r["probability"] for r in served], [r["probability"] for r in predicted], atol=1e-5)


def test_images_predict_as_dlkit_predict_does(server, serve_runs, cli, tmp_path):
    """Raw pixels (H,W,C and H,W), and PNG files of another size as b64, one request each way."""
    client = server["client"]
    pixels = _digits(12)
    files = []
    for i, image in enumerate(pixels):
        files.append(tmp_path / f"{i:02d}.png")
        files[-1].write_bytes(_png(image, 24))
    run = serve_runs["latest"].parent / _serving(client, "tiny")
    expected = _predict_json(cli, run, *files)
    b64 = [{"b64": base64.b64encode(path.read_bytes()).decode()} for path in files]
    by_file = client.post("/v1/models/tiny:predict", json={"instances": b64})
    assert by_file.status_code == 200, by_file.text
    _same(by_file.json()["predictions"], expected)
    assert len({row["label"] for row in expected}) > 2  # not one constant prediction

    raw = _predict_json(cli, run, *[_write(tmp_path / f"raw{i}.png", _png(p, 8)) for i, p in enumerate(pixels)])
    hwc = client.post("/v1/models/tiny:predict", json={"instances": pixels[..., None].tolist()}).json()["predictions"]
    hw = client.post("/v1/models/tiny:predict", json={"inputs": pixels.tolist()}).json()["predictions"]
    single = client.post("/v1/models/tiny/versions/1:predict", json={"instances": [pixels[0].tolist()]})
    _same(hwc, raw)
    _same(hw, raw)
    _same(single.json()["predictions"], raw[:1])
    assert [t["label"] for t in hwc[0]["top_k"]] == [t["label"] for t in raw[0]["top_k"]] and len(hwc[0]["top_k"]) == 3


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_table_rows_predict_as_dlkit_predict_does(server, serve_runs, cli, tmp_path):
    """Rows as objects: integer ids as numbers or text, a blank (null), an id training never saw."""
    rows = ratings(40, seed=3).drop(columns=["rating"]).astype(object)
    rows.loc[0, "user_id"], rows.loc[1, "item_id"], rows.loc[2, "user_id"] = None, 999, "7"
    rows.to_csv(tmp_path / "rows.csv", index=False)
    expected = _predict_json(cli, serve_runs["table"], tmp_path / "rows.csv")
    instances = [{k: (None if v is None else v) for k, v in row.items()} for row in rows.to_dict("records")]
    response = server["client"].post("/v1/models/ratings:predict", json={"instances": instances})
    assert response.status_code == 200, response.text
    served = response.json()["predictions"]
    assert np.allclose([r["value"] for r in served], [r["value"] for r in expected], atol=1e-5)
    assert np.std([r["value"] for r in served]) > 0.05
    assert served[1]["unseen"] == {"item_id": "999"} == expected[1]["unseen"]
    assert [("unseen" in r) for r in served] == [("unseen" in r) for r in expected]
    columnar = {"inputs": {"user_id": [3, 4], "item_id": [101, 102]}}
    assert len(server["client"].post("/v1/models/ratings:predict", json=columnar).json()["predictions"]) == 2


def test_texts_predict_as_dlkit_predict_does(server, serve_runs, cli):
    texts = ["I loved it, excellent", "The plot was DREADFUL and boring.", "zzz qqq xxx yyy"]
    result = cli("predict", *[a for t in texts for a in ("--text", t)], "--run", serve_runs["text"], "--json")
    expected = json.loads(result.stdout)["predictions"]
    response = server["client"].post("/v1/models/text:predict", json={"instances": texts})
    assert response.status_code == 200, response.text
    served = response.json()["predictions"]
    _same(served, expected)
    assert [r["label"] for r in served[:2]] == ["pos", "neg"]
    assert served[2]["unseen"] == expected[2]["unseen"] == {"words": "4 of 4"}
    refused = server["client"].post("/v1/models/text:predict", json={"instances": ["fine", 3]})
    assert refused.status_code == 400 and refused.json() == {"error": "instance 1: expected a string"}


LARGE = b'{"instances": [' + b"0," * 40000 + b"0]}"


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v1/models/tiny:predict", b"{not json", 400, "not JSON"),
        (
            "/v1/models/tiny:predict",
            {"instances": [[[1, 2], [3, 4]]]},
            400,
            "instance 0: expected shape 8x8x1 (or 8x8), got 2x2",
        ),
        ("/v1/models/tiny:predict", {"instances": [[["a"] * 8] * 8]}, 400, "instance 0: expected numbers"),
        (
            "/v1/models/tiny:predict",
            {"instances": [{"b64": "aGVsbG8="}]},
            400,
            "instance 0: cannot decode the b64 image",
        ),
        ("/v1/models/tiny:predict", {"instances": [{"b64": "***"}]}, 400, "not valid base64"),
        ("/v1/models/tiny:predict", {"rows": []}, 400, '{"instances": [...]}'),
        ("/v1/models/tiny:predict", {"instances": []}, 400, "no instances"),
        ("/v1/models/ratings:predict", {"instances": [{"user_id": 3}]}, 400, "instance 0: missing columns item_id"),
        (
            "/v1/models/ratings:predict",
            {"instances": [{"user_id": "x", "item_id": 101}]},
            400,
            "x is not an integer id",
        ),
        ("/v1/models/ratings:predict", {"instances": [{"user_id": [1], "item_id": 101}]}, 400, "expected a number"),
        (
            "/v1/models/nope:predict",
            {"instances": []},
            404,
            "no model named 'nope'; this server serves ratings, text, tiny",
        ),
        ("/v1/models/tiny/versions/9:predict", {"instances": []}, 404, "model 'tiny' has no version 9"),
        ("/v2/what", {}, 404, "no such endpoint: POST /v2/what"),
        ("/v1/models/tiny:predict", LARGE, 413, "at most 65536"),
    ],
)
def test_bad_requests_are_the_callers_and_the_server_goes_on(server, path, body, status, message):
    client = server["client"]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(path, content=content)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and message in response.json()["error"]
    assert client.post("/v1/models/tiny:predict", json={"instances": [_digits(1)[0].tolist()]}).status_code == 200


def test_a_streamed_body_is_counted_and_methods_are_checked(server):
    client = server["client"]
    chunks = (b'{"instances": [' if i == 0 else b"0," * 1000 for i in range(40))  # no Content-Length: chunked
    response = client.post("/v1/models/tiny:predict", content=chunks)
    assert response.status_code == 413 and "over 65536 bytes" in response.json()["error"]
    for method, path in [("GET", "/v1/models/tiny:predict"), ("DELETE", "/healthz")]:
        response = client.request(method, path)
        assert response.status_code == 405 and "method not allowed" in response.json()["error"]
    assert server["process"].poll() is None


def test_status_metadata_health(server, serve_runs):
    client = server["client"]
    status = client.get("/v1/models/tiny").json()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"
    assert status["model_version_status"][0]["status"] == {"error_code": "OK", "error_message": ""}
    meta = client.get("/v1/models/ratings/metadata").json()
    assert meta["model_spec"]["name"] == "ratings"
    assert meta["metadata"]["input"]["kind"] == "table"
    assert sorted(meta["metadata"]["input"]["columns"]) == ["item_id", "user_id"]
    assert meta["metadata"]["task"] == "regression" and meta["metadata"]["run"] == serve_runs["table"].name
    assert "mae" in meta["metadata"]["test_metrics"] and meta["metadata"]["config"]["params"] > 0
    tiny = client.get("/v1/models/tiny/metadata").json()["metadata"]
    assert tiny["input"] == {"kind": "image", "shape": [8, 8, 1]} and tiny["classes"] == [str(i) for i in range(10)]
    assert client.get("/healthz").json()["status"] == "ok"


def _histogram(text: str, name: str, model: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket{{") and f'model="{model}"' in line:
            le = line.split('le="')[1].split('"')[0]
            found[le] = float(line.rsplit(" ", 1)[1])
    return found


def test_concurrent_requests_are_batched_and_counted(server):
    pixels = _digits(64)

    async def load():
        async with httpx.AsyncClient(base_url=server["url"], timeout=30) as client:
            body = [{"instances": [p.tolist()]} for p in pixels]
            return await asyncio.gather(*(client.post("/v1/models/tiny:predict", json=b) for b in body))

    responses = asyncio.run(load())
    assert [r.status_code for r in responses] == [200] * 64
    text = server["client"].get("/metrics").text
    buckets = _histogram(text, "dlkit_serve_batch_size", "tiny")
    assert buckets["+Inf"] > buckets["1.0"]  # some model call held more than one request
    assert 'dlkit_serve_requests_total{code="200",model="tiny"}' in text
    assert 'dlkit_serve_errors_total{code="400",model="tiny"}' in text
    assert 'dlkit_serve_errors_total{code="404",model="-"}' in text
    assert "dlkit_serve_request_seconds_bucket" in text and 'dlkit_serve_model_loaded{model="ratings",run=' in text


def test_runs_promoted_under_traffic_fail_no_request(server, serve_runs):
    """POST :reload with a run, then `runs/latest` moved: each loaded beside the serving one and
    swapped in while a client keeps sending; a broken run is refused and the old one serves on."""
    client, (_, second, third), runs = server["client"], serve_runs["tiny"], serve_runs
    pixels = [p.tolist() for p in _digits(4)]
    failures, answered, stop = [], [], threading.Event()

    def traffic():
        with httpx.Client(base_url=server["url"], timeout=30) as own:
            while not stop.is_set():
                response = own.post("/v1/models/tiny:predict", json={"instances": pixels})
                (answered if response.status_code == 200 else failures).append(response.text)

    sender = threading.Thread(target=traffic)
    sender.start()
    try:
        time.sleep(0.3)
        reloaded = client.post("/v1/models/tiny:reload", json={"run": str(second)})
        assert reloaded.status_code == 200, reloaded.text
        assert reloaded.json()["last_reload"]["version"] == 2 and _serving(client, "tiny") == second.name
        point_latest(third)
        deadline = time.monotonic() + 30
        while _serving(client, "tiny") != third.name and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _serving(client, "tiny") == third.name
        refused = client.post("/v1/models/tiny:reload", json={"run": str(runs["broken"])})
        assert refused.status_code == 400 and "refused to load" in refused.json()["error"]
        assert "version 3" in refused.json()["error"] and "still serving" in refused.json()["error"]
        time.sleep(0.3)
    finally:
        stop.set()
        sender.join()
    assert failures == [] and len(answered) > 10
    status = client.get("/v1/models/tiny").json()
    assert [(s["version"], s["state"]) for s in status["model_version_status"]] == [
        ("3", "AVAILABLE"), ("2", "END"), ("1", "END")
    ]  # fmt: skip
    assert status["last_reload"]["outcome"] == "failed" and "model.keras" in status["last_reload"]["error"]
    assert client.post("/v1/models/tiny/versions/3:predict", json={"instances": pixels}).status_code == 200
    assert client.post("/v1/models/tiny/versions/1:predict", json={"instances": pixels}).status_code == 404
    text = client.get("/metrics").text
    assert 'dlkit_serve_reloads_total{model="tiny",outcome="loaded"} 2.0' in text
    assert 'dlkit_serve_reloads_total{model="tiny",outcome="failed"} 1.0' in text
    assert f'dlkit_serve_model_loaded{{model="tiny",run="{third.name}",version="3"}} 1.0' in text
