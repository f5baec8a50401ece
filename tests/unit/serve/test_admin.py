"""`POST /v1/models/NAME:reload`'s four guards, on the real app with a stub store (no run loaded, no
TensorFlow): the admin token (401), JSON only (415), a loopback server's Host (403: DNS rebinding),
a run under the server's roots (403); each checked before the body is read or a run is loaded."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from dlkit.serve.app import Options, make_app
from dlkit.serve.bodies import BadRequest
from dlkit.serve.roots import OUTSIDE, Roots

TOKEN = "s3cret-admin-token"
RIGHT = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
RUN = "tiny-20260101-120000"


class Served:
    def status(self) -> dict:
        return {"model_version_status": [{"version": "1", "state": "AVAILABLE"}]}


class Store:
    """What the reload endpoint asks of the store: its roots, a model by name, a reload."""

    def __init__(self, roots: Roots):
        self.roots, self.models, self.reloads = roots, {"tiny": Served()}, []

    def find(self, name: str, number: str | None = None):
        if name not in self.models:
            raise BadRequest(f"no model named {name!r}; this server serves tiny", 404)

    async def reload(self, name, run):
        self.reloads.append((name, run))
        return {"outcome": "loaded"}


@pytest.fixture
def served(tmp_path):
    """(a client of a server on 127.0.0.1 with an admin token, its store); a finished run under its runs folder."""
    run = tmp_path / "runs" / RUN
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"status": "completed", "input": {"kind": "image"}}))
    store = Store(Roots([tmp_path / "runs"], []))
    app = make_app(store, None, Options(admin_token=TOKEN))
    return TestClient(app, base_url="http://127.0.0.1:8501"), store


def _reload(client, body=None, headers=RIGHT, name="tiny"):
    content = None if body is None else body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/v1/models/{name}:reload", content=content, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Authorization": "Bearer wrong", "Content-Type": "application/json"},
        {"Authorization": f"Basic {TOKEN}", "Content-Type": "application/json"},
        {"Authorization": f"Bearer {TOKEN}x", "Content-Type": "text/plain"},  # the token first: 401, not 415
    ],
)
def test_without_the_admin_token_nothing_is_reloaded(served, headers):
    client, store = served
    answer = _reload(client, {"run": RUN}, headers)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert "needs the server's admin token" in answer.json()["error"]
    assert store.reloads == []


def test_a_browsers_simple_request_is_refused(served):
    client, store = served
    answer = _reload(client, f'{{"run": "{RUN}"}}', {**RIGHT, "Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json()["error"] == "this endpoint takes Content-Type: application/json. Received: text/plain"
    assert _reload(client, None, {"Authorization": RIGHT["Authorization"]}).status_code == 415
    assert store.reloads == []


def test_a_loopback_server_takes_admin_requests_addressed_to_loopback_names_only(served):
    client, store = served
    answer = _reload(client, {"run": RUN}, {**RIGHT, "Host": "rebound.example:8501"})
    assert answer.status_code == 403 and "Received: Host 'rebound.example:8501'" in answer.json()["error"]
    assert store.reloads == []
    for host in ("localhost:8501", "127.0.0.1", "[::1]:8501"):
        assert _reload(client, {"run": RUN}, {**RIGHT, "Host": host}).status_code == 200, host
    assert len(store.reloads) == 3


def test_a_server_on_another_address_takes_any_host(served):
    _, store = served
    client = TestClient(make_app(store, None, Options(admin_token=TOKEN)), base_url="http://10.1.2.3:8501")
    assert _reload(client, {"run": RUN}, {**RIGHT, "Host": "serve.example"}).status_code == 200


def test_a_run_outside_the_roots_is_refused_and_one_under_them_reloaded(served, tmp_path):
    client, store = served
    (tmp_path / "outside").mkdir()
    for given in (str(tmp_path / "outside"), "/etc", "../../outside", str(tmp_path / "nowhere")):
        answer = _reload(client, {"run": given})
        assert (answer.status_code, answer.json()["error"]) == (403, OUTSIDE), given
    assert store.reloads == []
    answer = _reload(client, {"run": RUN})
    assert answer.status_code == 200 and answer.json()["model_version_status"][0]["state"] == "AVAILABLE"
    assert store.reloads == [("tiny", tmp_path / "runs" / RUN)]


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"run": 3}, 400, 'expected {"run": "RUN"} or no body'),
        ({"run": RUN, "force": True}, 400, 'expected {"run": "RUN"} or no body'),
        ([RUN], 400, 'expected {"run": "RUN"} or no body'),
        ("{not json", 400, "the body is not JSON"),
        ({"run": "tiny-20260101-120000/../.."}, 403, OUTSIDE),
    ],
)
def test_bad_bodies_are_the_callers_mistake(served, body, status, said):
    client, store = served
    answer = _reload(client, body)
    assert answer.status_code == status and said in answer.json()["error"]
    assert store.reloads == []


def test_no_body_asks_the_models_own_source_again_and_an_unknown_model_is_404(served):
    client, store = served
    assert _reload(client).status_code == 200 and store.reloads == [("tiny", None)]
    answer = _reload(client, {"run": RUN}, name="other")
    assert answer.status_code == 404 and "no model named 'other'" in answer.json()["error"]
    assert store.reloads == [("tiny", None)]
