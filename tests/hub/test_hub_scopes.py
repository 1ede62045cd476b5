"""JupyterHub scopes mapped to the AXIS API (server_ext/axis_jupyter_server/hub_auth.py) on
the real hub: a read-only share of alice's server views her store and changes nothing."""

from __future__ import annotations

import pytest
from support.hub import ALICE_DATASET, EVALS_CSV

DS = ALICE_DATASET
# What custom:axis:read opens: viewing the store, its analytics and its read-only views.
VIEWING = [
    ("GET", "health", {}),
    ("GET", "openapi.json", {}),
    ("GET", "datasets", {}),
    ("GET", f"datasets/{DS}", {}),
    ("GET", f"datasets/{DS}/rows", {}),
    ("GET", "analytics", {}),
    ("POST", f"datasets/{DS}/analytics/summary", {"json": {}}),
    ("POST", f"datasets/{DS}/views/scorecard/payload", {"json": {}}),
    ("POST", "views/runner/setup", {"json": {}}),
    ("GET", "jobs", {}),
    ("GET", "evals/runs", {}),
    ("GET", "sync", {}),
]
# What it does not: syncing, uploading, deleting, evaluation runs, SQL, the database browser.
CHANGING = [
    ("POST", "sync", {}),
    ("POST", "sync/sources", {"json": {"name": "src", "kind": "evals",
                                       "url": "postgresql://u@127.0.0.1:1/db",
                                       "dataset_query": "SELECT 1"}}),
    ("POST", "datasets", {"files": {"file": ("x.csv", EVALS_CSV, "text/csv")},
                          "data": {"name": "carol_was_here"}}),
    ("DELETE", f"datasets/{DS}", {}),
    ("POST", "evals/runs", {"json": {"source": DS, "metrics": ["exact_match"]}}),
    ("POST", "views/runner/start", {"json": {"source": DS, "metrics": ["exact_match"]}}),
    ("POST", "query", {"json": {"sql": "SELECT * FROM read_csv('/etc/passwd')"}}),
    ("POST", "database/connect", {"json": {"host": "127.0.0.1", "port": 1, "database": "x",
                                           "username": "u", "password": "p"}}),
    ("POST", f"datasets/{DS}/views/database/payload", {"json": {}}),
    ("DELETE", "jobs/0123abcd", {}),
]
# The server's own APIs can run code or read files as alice: not for a share.
SERVER_APIS = [("POST", "api/kernels", {"json": {"name": "python3"}}),
               ("GET", "api/contents", {}),
               ("GET", "api/kernels", {})]

READ_ONLY = ["access:servers!server=alice/", "custom:axis:read!server=alice/"]


@pytest.fixture(scope="session")
def viewers(hub, alice_dataset):
    """Tokens that may only view alice's AXIS store: carol's (the role shares alice's server
    with her read-only) and one alice limited herself to the read scope."""
    return {"carol": hub.tokens["carol"],
            "alice read-only token": hub.create_token("alice", READ_ONLY)}


@pytest.fixture(params=["carol", "alice read-only token"])
def viewer(request, hub, viewers):
    with hub.api("alice", token=viewers[request.param]) as client:
        yield client


def test_a_viewer_sees_alices_store(hub, viewer):
    for method, path, kw in VIEWING:
        r = viewer.request(method, hub.axis_url("alice", path), **kw)
        assert r.status_code == 200, (method, path, r.status_code, r.text[:300])
    r = viewer.get(hub.axis_url("alice", "datasets"))
    assert DS in [d["name"] for d in r.json()["datasets"]]
    r = viewer.get(hub.axis_url("alice", f"datasets/{DS}/rows"))
    assert "faithfulness" in r.text


def test_a_viewer_changes_nothing_and_runs_nothing(hub, viewer):
    for method, path, kw in CHANGING:
        r = viewer.request(method, hub.axis_url("alice", path), **kw)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:300])
        assert "not authorized" in r.json()["error"], (method, path, r.text[:300])
        assert "root:" not in r.text
    for method, path, kw in SERVER_APIS:
        r = viewer.request(method, f"user/alice/{path}", **kw)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:300])
    with hub.api("alice") as alice:
        names = [d["name"] for d in alice.get(hub.axis_url("alice", "datasets")).json()["datasets"]]
        assert DS in names and "carol_was_here" not in names
        assert alice.get(hub.axis_url("alice", "sync/sources")).json()["sources"] == []
        assert [j for j in alice.get(hub.axis_url("alice", "jobs")).json()["jobs"]
                if j["kind"] == "eval_run"] == []


def test_the_execute_scope_opens_sql_but_not_changes(hub, alice_dataset):
    token = hub.create_token("alice", READ_ONLY + ["custom:axis:execute!server=alice/"])
    with hub.api("alice", token=token) as client:
        r = client.post(hub.axis_url("alice", "query"),
                        json={"sql": f'SELECT count(*) AS n FROM "{alice_dataset}"'})
        assert r.status_code == 200, r.text
        r = client.delete(hub.axis_url("alice", f"datasets/{alice_dataset}"))
        assert r.status_code == 403


def test_carols_browser_session_is_read_only_too(hub, alice_dataset):
    """Browser sessions carry the AXIS scopes through the server's OAuth client
    (Spawner.oauth_client_allowed_scopes): carol authorizes read and gets read."""
    with hub.browser() as browser:
        assert hub.browser_login(browser, "carol").status_code == 302
        r = hub.browser_open_server(browser, "alice")
        assert r.status_code == 403  # a file of alice's server: not for a share
        r = browser.get(hub.axis_url("alice", "datasets"))
        assert r.status_code == 200 and alice_dataset in r.text
        xsrf = hub.browser_xsrf(browser, "alice")
        assert xsrf
        r = browser.post(hub.axis_url("alice", "query"), json={"sql": "SELECT 1"}, headers=xsrf)
        assert r.status_code == 403 and "not authorized" in r.json()["error"]
        r = browser.post(hub.axis_url("alice", f"datasets/{alice_dataset}/analytics/summary"),
                         json={}, headers=xsrf)
        assert r.status_code == 200, r.text


def test_alices_browser_session_may_do_everything(hub, alice_dataset):
    with hub.browser() as browser:
        assert hub.browser_login(browser, "alice").status_code == 302
        r = hub.browser_open_server(browser, "alice")
        assert r.status_code == 404  # no consent page for the owner; the file does not exist
        r = browser.post(hub.axis_url("alice", "query"), headers=hub.browser_xsrf(browser, "alice"),
                         json={"sql": f'SELECT count(*) AS n FROM "{alice_dataset}"'})
        assert r.status_code == 200 and r.json()["data"] == [[5]], r.text


def test_a_refused_upload_does_not_break_the_next_request(hub, viewers):
    """The server answers a refused upload before reading its body and closes the
    connection; it must say so (Connection: close), or the hub's proxy reuses the closed
    connection and the next request gets a 503 (4 in 40 before the fix)."""
    with hub.api("alice", token=viewers["carol"]) as carol:
        for _ in range(40):
            r = carol.post(hub.axis_url("alice", "datasets"),
                           files={"file": ("x.csv", EVALS_CSV, "text/csv")})
            assert r.status_code == 403, r.text[:200]
            r = carol.get(hub.axis_url("alice", "health"))
            assert r.status_code == 200, r.text[:200]
