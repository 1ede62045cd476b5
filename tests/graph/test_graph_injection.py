"""Cypher injection attempts against the knowledge graph: through search text, node ids,
node types, filter names and values, and through the rules' own values. Each is refused
with an error naming the parameter, or is inert (a value looked for literally); the graph
is unchanged afterwards."""

from __future__ import annotations

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.errors import NotFoundError, ParameterError
from axis_jupyter.graph import connection
from axis_jupyter.graph.api import KnowledgeGraph

from independent import counts, nx_graph

EVIL = [
    "x'}) DETACH DELETE n //",
    "\"}) MATCH (n) DETACH DELETE n RETURN 1 //",
    "') DETACH DELETE n RETURN n //",
    "`Rule`) DETACH DELETE (n",
    "x\\' OR 1=1 //",
    "}) DETACH DELETE n",
]


@pytest.fixture(scope="module")
def evil_frame(frame):
    """Rules whose own values are injection attempts."""
    extra = pd.DataFrame([{
        **frame.iloc[0].to_dict(), "id": f"EVIL{i}'}})", "rule_name": text, "risk_factor": text,
        "action": text, "mitigants": repr([text, "Guarantor"]), "source": f"`{text}`",
    } for i, text in enumerate(EVIL)])
    return pd.concat([frame, extra], ignore_index=True)


@pytest.fixture(scope="module")
def evil_graph(tmp_path_factory, evil_frame):
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("evil") / "e.duckdb")
    store.load(evil_frame, name="rules", kind="rules")
    g = KnowledgeGraph(store, "rules")
    yield g
    connection.close_for(store)
    store.close()


def _same_as(g, frame):
    nodes, edges = counts(nx_graph(frame))
    s = g.summary()
    assert s["nodes_by_type"] == nodes and s["edges_by_relation"] == edges


def test_values_from_the_rules_are_stored_literally(evil_graph, evil_frame):
    _same_as(evil_graph, evil_frame)
    for i, text in enumerate(EVIL):
        df = evil_graph.search(text)
        assert f"Rule:EVIL{i}'}})" in set(df["node_id"])
        node = evil_graph.node(f"Rule:EVIL{i}'}})")["node"]
        assert node["label"] == text and node["metadata"]["action"] == text


@pytest.mark.parametrize("text", EVIL)
def test_search_text_is_a_value(evil_graph, evil_frame, text):
    df = evil_graph.search(text)
    assert all(text.lower() in lbl.lower() or nid.endswith("'})") for nid, lbl in
               zip(df["node_id"], df["label"]))
    _same_as(evil_graph, evil_frame)


@pytest.mark.parametrize("node_id", [f"Rule:{t}" for t in EVIL] + [f"Outcome:{t}" for t in EVIL])
def test_node_id_key_is_a_value(evil_graph, evil_frame, node_id):
    try:
        evil_graph.neighbourhood(node_id, depth=3)
    except NotFoundError:
        pass
    _same_as(evil_graph, evil_frame)


@pytest.mark.parametrize("node_id", [
    "Rule) DETACH DELETE (n:Rule",  # label position
    "Rule`:x", "`Rule`:x", "Rule|Outcome:x", "rule:R000001", "Rule :R000001", ":x", "Rule",
    "RiskFactor {id: 'x'}) DETACH DELETE n //:x",
])
def test_label_tricks_in_node_ids_are_refused(evil_graph, evil_frame, node_id):
    with pytest.raises(ParameterError) as err:
        evil_graph.neighbourhood(node_id)
    assert err.value.param == "node_id"
    _same_as(evil_graph, evil_frame)


@pytest.mark.parametrize("types", [["Rule) DETACH DELETE (n"], ["Rule|Outcome"], ["rule"],
                                   "Rule,`Outcome`", [""]])
def test_label_tricks_in_types_are_refused(evil_graph, evil_frame, types):
    with pytest.raises(ParameterError) as err:
        evil_graph.subgraph(types=types)
    assert err.value.param == "types"
    with pytest.raises(ParameterError):
        evil_graph.search("rule", types=types)
    _same_as(evil_graph, evil_frame)


def test_filter_names_are_allowlisted_and_values_inert(evil_graph, evil_frame):
    with pytest.raises(ParameterError):
        evil_graph.subgraph(**{"action IS NOT NULL OR 1=1 //": "x"})
    with pytest.raises(ParameterError):
        evil_graph.subgraph(**{"name": "x"})
    for text in EVIL:
        sg = evil_graph.subgraph(action=text, limit=100)
        assert {e["source"] for e in sg.edge_list if e["type"] == "RESULTS_IN"} == {
            "Rule:" + i for i in evil_frame.loc[evil_frame.action == text, "id"]}
    assert evil_graph.subgraph(action="x' OR 1=1 //").edge_list == []
    _same_as(evil_graph, evil_frame)
