"""The rules dashboard and the graph explorer: their actions' numbers against pandas and
networkx (no Jupyter needed), the widgets' kernel round trip, and %axis show."""

from __future__ import annotations

import json

import pytest

from axis_jupyter.notebook.widgets import GraphExplorer, RulesDashboard
from axis_jupyter.payloads.registry import call_action
from axis_jupyter.errors import NotFoundError, ParameterError, QueryError

import independent as ind


@pytest.fixture
def df(frame):
    return ind.tidy(frame)


def test_dashboard_payload(rules_store, df):
    p = call_action(rules_store, "rules", "memory", "payload", {})
    json.dumps(p, allow_nan=False)
    assert p["summary"] == ind.summary(df)
    assert {a["action"]: a["count"] for a in p["by_action"]} == df.action.value_counts().to_dict()
    assert sum(b["count"] for b in p["by_product"]) == len(df)
    assert p["conflicts_count"] == len(ind.conflicts(df, [["approve", "decline"]]))
    assert p["options"]["action"] == sorted(df.action.unique())
    f = call_action(rules_store, "rules", "memory", "payload", {"filters": {"product_type": "mortgage"}})
    assert f["summary"] == ind.summary(df[df.product_type == "mortgage"])


def test_rules_page_filters_sort_search(rules_store, df):
    out = call_action(rules_store, "rules", "memory", "rules",
                      {"filters": {"action": "decline"}, "sort_by": "rule_name", "descending": True,
                       "page": 2, "page_size": 15})
    want = df[df.action == "decline"].sort_values("rule_name", ascending=False)
    assert out["total"] == len(want)
    assert [r["id"] for r in out["rows"]] == want.id.tolist()[15:30]
    assert all(isinstance(r["mitigants"], list) for r in out["rows"])
    hit = call_action(rules_store, "rules", "memory", "rules", {"search": "Debt to income 1"})
    assert hit["total"] == int(df.rule_name.str.contains("Debt to income 1", case=False).sum())
    with pytest.raises(ParameterError, match="page_size"):
        call_action(rules_store, "rules", "memory", "rules", {"page_size": 100000})


def test_trace_quality_hard_stops_batches(rules_store, df):
    t = call_action(rules_store, "rules", "memory", "trace", {"rule_id": "R000004"})["trace"]
    row = df.set_index("id").loc["R000004"]
    assert (t["risk_factor"], t["action"], t["mitigants"]) == (row.risk_factor, row.action, row.mitigants)
    with pytest.raises(NotFoundError):
        call_action(rules_store, "rules", "memory", "trace", {"rule_id": "nope"})
    q = call_action(rules_store, "rules", "memory", "quality", {})
    assert {k: g["count"] for k, g in q["groups"].items()} == {
        k: int((df.decision_quality == k).sum()) for k in ("aligned", "divergent", "partial")}
    assert q["soft_count"] == int((df.threshold_type == "soft").sum())
    hs = call_action(rules_store, "rules", "memory", "hard_stops", {"page": 1, "page_size": 10})
    assert hs["total"] == ind.summary(df)["hard_stops_count"] and len(hs["rows"]) == min(10, hs["total"])
    b = call_action(rules_store, "rules", "memory", "batches", {})
    assert {x["batch_id"]: x["rules_count"] for x in b["batches"]} == df.batch_id.value_counts().to_dict()


def test_graph_view_actions(rules_store, frame):
    ref = ind.nx_graph(frame)
    p = call_action(rules_store, None, "graph", "payload", {"limit": 300})
    assert p["dataset"] == "rules" and p["summary"]["total_nodes"] == ref.number_of_nodes()
    assert len(p["graph"]["edges"]) == 300 and p["graph"]["truncated"]
    assert all(n["metadata"] == {} for n in p["graph"]["nodes"])  # details come with "node"
    s = call_action(rules_store, "rules", "graph", "search", {"text": "Guarantor"})
    assert "Mitigant:guarantor" in {r["node_id"] for r in s["results"]}
    n = call_action(rules_store, "rules", "graph", "neighbourhood", {"node_id": "Mitigant:guarantor", "depth": 1})
    assert {x["id"] for x in n["nodes"]} == ind.ego(ref, "Mitigant:guarantor", 1)[0]
    d = call_action(rules_store, "rules", "graph", "node", {"node_id": "Mitigant:guarantor"})
    assert len(d["neighbours"]) == ref.degree("Mitigant:guarantor")
    with pytest.raises(ParameterError, match="depth"):
        call_action(rules_store, "rules", "graph", "neighbourhood", {"node_id": "Rule:R000001", "depth": 5})
    with pytest.raises(ParameterError, match="types"):
        call_action(rules_store, "rules", "graph", "payload", {"types": ["Rule) DETACH DELETE (n"]})
    with pytest.raises(QueryError):
        call_action(rules_store, "rules", "graph", "payload", {"filters": {"name": "x"}})


def test_widgets_answer_through_the_kernel(rules_store):
    w = RulesDashboard("rules", store=rules_store)
    assert w.view == "memory" and w.snapshot["summary"]["rules_count"] == len(rules_store.sql("SELECT id FROM rules"))
    reply = w.handle_call({"kind": "axis-call", "id": "1", "action": "rules", "params": {"page": 1}})
    assert len(reply["result"]["rows"]) == 15
    reply = w.handle_call({"kind": "axis-call", "id": "2", "action": "graph_search", "params": {"text": "debt"}})
    assert reply["result"]["total"] > 0
    bad = w.handle_call({"kind": "axis-call", "id": "3", "action": "trace", "params": {"rule_id": "nope"}})
    assert "nope" in bad["error"]
    g = GraphExplorer("rules", store=rules_store)
    assert g.view == "graph" and g.snapshot["summary"]["total_nodes"] > 0
    assert "knowledge graph" in g.static_html() and "rules" in w.static_html()


def test_magic_shows_both(ip, frame):
    ip.user_ns["rules_df"] = frame
    ip.run_line_magic("axis", "load rules_df --name rules --kind rules")
    dash = ip.run_line_magic("axis", "show memory rules")
    explorer = ip.run_line_magic("axis", "show graph")  # the one rules dataset
    small = ip.run_line_magic("axis", "show graph rules limit=100")
    assert isinstance(dash, RulesDashboard) and dash.snapshot["summary"]["rules_count"] == len(frame)
    assert isinstance(explorer, GraphExplorer) and explorer.dataset == "rules"
    assert len(small.snapshot["graph"]["edges"]) == 100
    from axis_jupyter.graph import connection

    connection.close_for(ip.magics_manager.registry["AxisMagic"]._store)
