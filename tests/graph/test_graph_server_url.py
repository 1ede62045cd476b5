"""``c.AxisExtension.graph_url``: a Jupyter server whose knowledge graphs live in a FalkorDB
of their own (here a second falkordblite process reached by its socket, as a FalkorDB
server is by URL), not in an embedded one beside the store."""

from __future__ import annotations

import json

import pytest

from independent import counts, nx_graph


@pytest.fixture
def external(tmp_path):
    """A FalkorDB of its own; it must be stopped when the test ends (checked)."""
    import psutil
    from redislite.falkordb_client import FalkorDB

    server = FalkorDB(str(tmp_path / "external.db"))
    pid = server.client.pid
    yield server
    server.client.connection_pool.disconnect()  # redislite stops only for its last client
    server.close()
    try:
        psutil.Process(pid).wait(timeout=30)
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(pid)


@pytest.fixture
def disconnected_after(axis_state, external):
    """The Jupyter server lets go of the external FalkorDB before it is stopped (the
    server's own cleanup, which does the same, runs after every fixture of the test)."""
    from axis_jupyter.graph import connection

    yield
    connection.close_for(axis_state.store)


@pytest.fixture
def axis_config(external):
    return {"graph_url": f"unix://{external.client.socket_file}"}


async def test_graphs_live_in_the_configured_falkordb(api, served_rules, frame, external, axis_store_path,
                                                      disconnected_after):
    r = await api("GET", "graph", "rules", "summary")
    assert r.code == 200, r.body
    s = json.loads(r.body)
    assert (s["nodes_by_type"], s["edges_by_relation"]) == counts(nx_graph(frame))
    keys = external.list_graphs()
    assert len([k for k in keys if ":graph:rules:" in k]) == 1  # built in the external FalkorDB
    assert not axis_store_path.with_suffix(".falkordb").exists()  # nothing embedded
    r = await api("GET", "graph", "rules", "status")
    st = json.loads(r.body)
    assert r.code == 200 and st["current"] and st["mode"] == "external"
