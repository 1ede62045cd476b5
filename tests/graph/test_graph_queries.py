"""The knowledge graph in a real embedded FalkorDB against networkx over the same rules:
counts per type, search, neighbourhoods at depth 1-3, subgraph filters."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import NotFoundError, ParameterError

from independent import counts, ego, nx_graph


@pytest.fixture(scope="module")
def ref(frame):
    return nx_graph(frame)


def test_counts_per_type_match_networkx(kg, ref):
    s = kg.summary()
    nodes, edges = counts(ref)
    assert s["nodes_by_type"] == nodes
    assert s["edges_by_relation"] == edges
    assert s["total_nodes"] == ref.number_of_nodes()
    assert s["total_edges"] == ref.number_of_edges()


def test_rules_by_action_and_product(kg, frame):
    s = kg.summary()
    assert s["rules_by_action"] == frame["action"].value_counts().to_dict()
    assert s["rules_by_product"] == frame["product_type"].value_counts().to_dict()


@pytest.mark.parametrize("text", ["debt", "CREDIT score 1", "guarantor", "decline", "zzz-none"])
def test_search_finds_every_name_containing_the_text(kg, ref, text):
    want = {n for n, d in ref.nodes(data=True) if text.lower() in d["name"].lower()}
    df = kg.search(text, limit=1000)
    assert set(df["node_id"]) == want
    assert df.attrs["total"] == len(want)
    degree = {n: ref.degree(n) for n in want}
    assert df["connected_nodes"].tolist() == [degree[n] for n in df["node_id"]]
    assert df["connected_nodes"].is_monotonic_decreasing


def test_search_limit_keeps_the_most_connected(kg, ref):
    df = kg.search("rule", limit=5)
    assert len(df) == 5 and df.attrs["total"] > 5
    hits = sorted((ref.degree(n) for n, d in ref.nodes(data=True) if "rule" in d["name"].lower()),
                  reverse=True)
    assert df["connected_nodes"].tolist() == hits[:5]


def test_search_by_rule_id(kg):
    df = kg.search("R000007")
    assert df["node_id"].tolist() == ["Rule:R000007"]


def _pick(ref, typ, k=0):
    return sorted(n for n, d in ref.nodes(data=True) if d["type"] == typ)[k]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("typ", ["Rule", "RiskFactor", "Mitigant", "Source", "Outcome"])
def test_neighbourhood_matches_networkx(kg, ref, typ, depth):
    start = _pick(ref, typ)
    sg = kg.neighbourhood(start, depth=depth, limit=100_000)
    near, edges = ego(ref, start, depth)
    assert {n["id"] for n in sg.node_list} == near
    assert {(e["source"], e["target"], e["type"]) for e in sg.edge_list} == edges
    assert sg.focal_node["id"] == start and not sg.truncated
    und = ref.to_undirected(as_view=True)
    import networkx as nx

    dist = nx.single_source_shortest_path_length(und, start, cutoff=depth)
    assert {n["id"]: n["distance"] for n in sg.node_list} == dist


def test_neighbourhood_limit_keeps_the_nearest(kg, ref):
    start = "Outcome:decline"
    sg = kg.neighbourhood(start, depth=2, limit=50)
    assert sg.truncated and len(sg) == 50
    near1, _ = ego(ref, start, 1)
    ids = {n["id"] for n in sg.node_list}
    assert ids <= ego(ref, start, 2)[0]
    # nearest first: the first ring fills the 50 places before any node of the second
    assert len({n["id"] for n in sg.node_list if n["distance"] <= 1}) == min(len(near1), 50)
    ds = [n["distance"] for n in sg.node_list]
    assert ds == sorted(ds)
    assert all(e["source"] in ids and e["target"] in ids for e in sg.edge_list)


def test_neighbourhood_errors_name_the_parameter(kg):
    with pytest.raises(ParameterError, match="depth"):
        kg.neighbourhood("Rule:R000001", depth=4)
    with pytest.raises(ParameterError, match="node_id"):
        kg.neighbourhood("R000001")
    with pytest.raises(NotFoundError, match="Rule:nope"):
        kg.neighbourhood("Rule:nope")


def test_subgraph_filters_on_the_rule_end(kg, ref, frame):
    sg = kg.subgraph(action="decline", product_type=["mortgage", "sme_loan"], limit=20_000)
    keep = set("Rule:" + frame.loc[(frame.action == "decline")
                                   & frame.product_type.isin(["mortgage", "sme_loan"]), "id"])
    want = {(u, v, k) for u, v, k in ref.edges(keys=True) if u in keep or v in keep}
    assert {(e["source"], e["target"], e["type"]) for e in sg.edge_list} == want
    assert not sg.truncated
    assert sg.edge_counts() == {t: sum(1 for e in want if e[2] == t) for t in {e[2] for e in want}}


def test_subgraph_types_and_limit(kg, ref):
    sg = kg.subgraph(types=["Mitigant"], limit=20_000)
    want = {(u, v, k) for u, v, k in ref.edges(keys=True) if k == "OVERRIDES"}
    assert {(e["source"], e["target"], e["type"]) for e in sg.edge_list} == want
    small = kg.subgraph(limit=10)
    assert len(small.edge_list) == 10 and small.truncated
    ids = {n["id"] for n in small.node_list}
    assert all(e["source"] in ids and e["target"] in ids for e in small.edge_list)


def test_node_detail(kg, ref):
    d = kg.node("Rule:R000003")
    assert d["node"]["type"] == "Rule" and d["node"]["metadata"]["rule_id"] == "R000003"
    assert {n["id"] for n in d["neighbours"]} == set(ref.predecessors("Rule:R000003")) | set(
        ref.successors("Rule:R000003"))


def test_status(kg):
    st = kg.status()
    assert st["connected"] and st["mode"] == "embedded" and st["current"]


def test_without_metadata_the_same_nodes_and_edges(kg):
    full = kg.neighbourhood("Outcome:refer", depth=2, limit=100_000)
    brief = kg.neighbourhood("Outcome:refer", depth=2, limit=100_000, metadata=False)
    assert [(n["id"], n["type"], n["label"], n["degree"], n["distance"]) for n in full.node_list] == \
        [(n["id"], n["type"], n["label"], n["degree"], n["distance"]) for n in brief.node_list]
    assert full.edge_list == brief.edge_list
    assert all(n["metadata"] == {} for n in brief.node_list)
    assert any(n["metadata"] for n in full.node_list)
    a, b = kg.subgraph(action="refer", limit=20_000), kg.subgraph(action="refer", limit=20_000, metadata=False)
    assert a.edge_list == b.edge_list
    assert [(n["id"], n["degree"]) for n in a.node_list] == [(n["id"], n["degree"]) for n in b.node_list]
