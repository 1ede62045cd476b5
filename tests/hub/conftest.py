"""One real JupyterHub for the whole session (tests/support/hub.py): starting it and two
single-user servers takes seconds, so every test here shares it and leaves it as found."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    from support.hub import Hub, require_hub

    require_hub()
    running = Hub(tmp_path_factory.mktemp("hub"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def alice_dataset(hub):
    """alice uploads an evaluation dataset to her own store with her own API token."""
    from support.hub import ALICE_DATASET, EVALS_CSV

    with hub.api("alice") as alice:
        r = alice.post(hub.axis_url("alice", "datasets"), params={"wait": "1"},
                       data={"name": ALICE_DATASET},
                       files={"file": ("evals.csv", EVALS_CSV, "text/csv")})
        assert r.status_code == 201, r.text
        assert r.json()["dataset"]["name"] == ALICE_DATASET
    return ALICE_DATASET
