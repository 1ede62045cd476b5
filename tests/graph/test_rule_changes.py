"""Rule changes from Python: stored with history, reflected in the knowledge graph exactly as
a fresh build of the changed rules (compared with networkx over the store's rules after
every change), refused changes leave everything as it was; roles= on load; dropping the
dataset drops its graph."""

from __future__ import annotations

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.errors import ConflictError, IngestError, NotFoundError, ParameterError
from axis_jupyter.graph import build
from axis_jupyter.graph.demo import rules_frame

from independent import counts, nx_graph


@pytest.fixture
def axis(tmp_path):
    store = axis_jupyter.connect(str(tmp_path / "changes.duckdb"))
    store.load(rules_frame(150, seed=8), name="rules", kind="rules")
    yield store
    store.close()


def _matches_store(axis):
    """The graph equals a networkx graph built from the store's rules as they are now."""
    current = axis.sql("SELECT * FROM rules")
    ref = nx_graph(current)
    g = axis.graph("rules")
    s = g.summary()
    assert (s["nodes_by_type"], s["edges_by_relation"]) == counts(ref)
    sg = g.subgraph(limit=100_000, metadata=False)
    assert {(e["source"], e["target"], e["type"]) for e in sg.edge_list} == set(ref.edges(keys=True))
    assert {n["id"]: n["degree"] for n in sg.node_list} == {n: ref.degree(n) for n in ref.nodes if ref.degree(n)}
    return ref


def test_changes_reach_the_graph(axis):
    g = axis.graph("rules")
    g.summary()  # built and current: changes now update it in place
    key = build.pointer(g.server, "rules")["graph"]
    rules = axis.rules("rules")
    r1 = rules.create(name="Brand new", action="escalate", group_by="A new risk factor",
                      mitigants=["A new mitigant", "Guarantor"], source="A new source")
    assert r1["id"].startswith("R-") and r1["batch_id"] == "manual" and r1["ingestion_status"] == "pending"
    _matches_store(axis)
    old = axis.sql("SELECT * FROM rules WHERE id = 'R000005'").iloc[0]
    rules.update("R000005", action="refer" if old.action != "refer" else "decline", mitigants=[],
                 group_by="A new risk factor")
    ref = _matches_store(axis)
    assert ref.has_edge("RiskFactor:a_new_risk_factor", "Rule:R000005", "TRIGGERS")
    rules.delete(r1["id"])
    ref = _matches_store(axis)
    assert "Mitigant:a_new_mitigant" not in ref and "Source:a_new_source" not in ref
    assert "Mitigant:a_new_mitigant" not in set(g.search("a new mitigant")["node_id"])
    assert build.pointer(g.server, "rules")["graph"] == key  # changed in place, not rebuilt
    assert g.status()["current"]
    h = rules.history()
    assert h.op.tolist() == ["delete", "update", "create"]
    assert h.iloc[1].before["action"] == old.action and h.iloc[1].after["mitigants"] == []
    assert axis["rules"].rules_summary().rules_count[0] == 150


def test_refused_changes_change_nothing(axis):
    g = axis.graph("rules")
    before = g.summary()
    rules = axis.rules("rules")
    with pytest.raises(ConflictError, match="R000001"):
        rules.create(id="R000001", name="dup", action="x")
    with pytest.raises(ParameterError, match="action"):
        rules.create(name="no action")
    with pytest.raises(ParameterError, match="colour"):
        rules.update("R000001", colour="red")
    with pytest.raises(ParameterError, match="id"):
        rules.update("R000001", id="R999")
    with pytest.raises(NotFoundError, match="nope"):
        rules.delete("nope")
    with pytest.raises(ParameterError, match="mitigants"):
        rules.update("R000002", mitigants={"a": 1})
    assert g.summary() == before and len(rules.history()) == 0
    assert len(axis.sql("SELECT id FROM rules")) == 150


def test_a_stale_graph_is_rebuilt_after_changes(axis):
    rules = axis.rules("rules")
    rules.create(id="X1", name="before any graph", action="refer", group_by="Lonely factor")
    _matches_store(axis)  # built now, with the change
    g = axis.graph("rules")
    build.set_stamp(g.server, "rules", build.pointer(g.server, "rules")["graph"], "stale")
    rules.update("X1", action="decline")  # the graph was not current: left to the next read
    _matches_store(axis)


def test_roles_on_load_and_drop(axis, tmp_path):
    frame = rules_frame(40, seed=9).rename(columns={"rule_name": "title", "risk_factor": "factor"})
    ds = axis.load(frame, name="renamed", roles={"name": "title", "group_by": "factor"})
    assert ds.kind == "rules"
    got = axis.sql("SELECT rule_name, risk_factor FROM renamed ORDER BY id")
    assert got.rule_name.tolist() == frame.sort_values("id").title.tolist()
    with pytest.raises(IngestError, match="nmae"):
        axis.load(frame, name="bad", roles={"nmae": "title"})
    with pytest.raises(IngestError, match="roles"):
        axis.load(frame, name="bad", kind="evals", roles={"name": "title"})
    g = axis.graph("renamed")
    assert g.summary()["nodes_by_type"]["Rule"] == 40
    key = build.pointer(g.server, "renamed")["graph"]
    axis.drop("renamed")
    assert build.pointer(g.server, "renamed") is None and key not in g.server.db.list_graphs()
    with pytest.raises(NotFoundError):
        axis.graph("renamed")


def test_dataset_methods_and_choosing_the_dataset(axis):
    ds = axis["rules"]
    assert ds.rules_summary().rules_count[0] == 150
    assert "rules_summary" in dir(ds) and ds.hard_stops.__doc__
    assert len(ds.rule_trace("R000001")) == 1
    assert axis.graph().dataset == "rules"  # the only rules dataset
    axis.load(rules_frame(10, seed=1), name="more", kind="rules")
    with pytest.raises(axis_jupyter.QueryError, match="more, rules"):
        axis.graph()
    axis.load(pd.DataFrame({"dataset_id": ["a"], "metric_name": ["m"], "metric_score": [1.0]}), name="ev")
    with pytest.raises(axis_jupyter.QueryError, match="rules"):
        axis.graph("ev")
