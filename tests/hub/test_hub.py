"""AXIS on a real JupyterHub: each user's server owns that user's store, kernels reach
their own server, other users get nothing, and a read-only share views but cannot change
anything (tests/support/hub.py starts the hub once for the session)."""

from __future__ import annotations

import json

import pytest
from support.hub import ALICE_DATASET, EVALS_CSV


def dataset_names(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [d["name"] for d in resp.json()["datasets"]]


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_a_users_token_reaches_their_own_axis_api(hub, user):
    with hub.api(user) as client:
        r = client.get(hub.axis_url(user, "health"))
        assert r.status_code == 200, r.text
        # each server owns the store in its user's home, not a shared one
        assert (hub.homes / user / "axis.duckdb").is_file()
        assert isinstance(dataset_names(client.get(hub.axis_url(user, "datasets"))), list)


def test_alices_dataset_is_hers_alone(hub, alice_dataset):
    with hub.api("alice") as alice:
        assert alice_dataset in dataset_names(alice.get(hub.axis_url("alice", "datasets")))
    with hub.api("bob") as bob:
        assert alice_dataset not in dataset_names(bob.get(hub.axis_url("bob", "datasets")))


@pytest.mark.parametrize("method,path,kw", [
    ("GET", "health", {}),
    ("GET", "datasets", {}),
    ("GET", f"datasets/{ALICE_DATASET}", {}),
    ("GET", f"datasets/{ALICE_DATASET}/rows", {}),
    ("POST", "query", {"json": {"sql": f'SELECT * FROM "{ALICE_DATASET}"'}}),
    ("POST", "datasets", {"files": {"file": ("x.csv", EVALS_CSV, "text/csv")},
                          "data": {"name": ALICE_DATASET}}),
    ("DELETE", f"datasets/{ALICE_DATASET}", {}),
])
def test_bob_cannot_read_or_change_alices_store(hub, alice_dataset, method, path, kw):
    with hub.api("bob") as bob:
        r = bob.request(method, hub.axis_url("alice", path), **kw)
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert alice_dataset not in r.text and "faithfulness" not in r.text
    with hub.api("alice") as alice:  # nothing changed
        info = alice.get(hub.axis_url("alice", f"datasets/{alice_dataset}"))
        assert info.status_code == 200 and info.json()["rows"] == 5, info.text


def test_the_hub_refuses_bob_a_session_on_alices_server(hub, alice_dataset):
    with hub.browser() as browser:
        assert hub.browser_login(browser, "bob").status_code == 302
        r = hub.browser_open_server(browser, "alice")
        assert r.status_code == 403 and "/hub/api/oauth2/authorize" in str(r.url)
        r = browser.get(hub.axis_url("alice", "datasets"))
        assert r.status_code == 403 and alice_dataset not in r.text


def test_a_wrong_password_gets_no_session(hub):
    with hub.browser() as browser:
        assert hub.browser_login(browser, "alice", password="not-the-password").status_code == 403
        r = browser.get("user/alice/files/axis-hub-test.txt", follow_redirects=True)
        assert r.status_code == 200 and str(r.url).startswith(hub.url + "hub/login")
        r = browser.get(hub.axis_url("alice", "datasets"))
        assert r.status_code == 403 and ALICE_DATASET not in r.text


KERNEL_CODE = """
import json, os, httpx, axis_jupyter
store = axis_jupyter.connect()
hub_token = httpx.get(os.environ["AXIS_SERVER_URL"] + "datasets",
                      headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]})
print(json.dumps({
    "store": type(store).__name__,
    "url": store.url,
    "datasets": sorted(store.datasets()["name"]),
    "hub_token_status": hub_token.status_code,
}))
"""


def test_a_kernel_in_alices_server_uses_her_store(hub, alice_dataset):
    seen = json.loads(hub.run_code("alice", KERNEL_CODE).strip().splitlines()[-1])
    assert seen["store"] == "RemoteStore"
    assert seen["url"].endswith("/user/alice/axis/api/")
    assert alice_dataset in seen["datasets"]
    # the server's own JupyterHub token works as well (as alice, the server's owner)
    assert seen["hub_token_status"] == 200


def test_a_kernel_in_bobs_server_does_not_see_alices_store(hub, alice_dataset):
    seen = json.loads(hub.run_code("bob", KERNEL_CODE).strip().splitlines()[-1])
    assert seen["url"].endswith("/user/bob/axis/api/")
    assert alice_dataset not in seen["datasets"]
