"""The graph/… and memory/… routes on a real Jupyter server (pytest-jupyter) whose store
holds the generated rules: answers against networkx, rule changes with history reflected
in the graph, every bad parameter a 400 naming it, unknown things 404, OpenAPI entries."""

from __future__ import annotations

import json

from independent import counts, ego, nx_graph


def strict_json(resp) -> dict:
    """The body as strict JSON (NaN/Infinity tokens are errors)."""
    def bad(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(resp.body, parse_constant=bad)


async def _get(api, *parts, **params):
    r = await api("GET", *parts, params=params or None)
    return r.code, strict_json(r)


async def test_summary_search_neighbourhood_node(api, served_rules, frame):
    ref = nx_graph(frame)
    code, s = await _get(api, "graph", "rules", "summary")
    assert code == 200
    assert (s["nodes_by_type"], s["edges_by_relation"]) == counts(ref)
    code, r = await _get(api, "graph", "rules", "search", q="debt", limit=100)
    want = {n for n, d in ref.nodes(data=True) if "debt" in d["name"].lower()}
    assert code == 200 and r["total"] == len(want) and {x["node_id"] for x in r["results"]} <= want
    code, n = await _get(api, "graph", "rules", "neighbourhood", node_id="Rule:R000010", depth=2,
                         limit=20000)
    near, edges = ego(ref, "Rule:R000010", 2)
    assert code == 200 and {x["id"] for x in n["nodes"]} == near and n["depth"] == 2
    assert {(e["source"], e["target"], e["type"]) for e in n["edges"]} == edges
    code, d = await _get(api, "graph", "rules", "node", node_id="Rule:R000010")
    assert code == 200 and d["node"]["metadata"]["rule_id"] == "R000010"
    code, sg = await _get(api, "graph", "rules", "subgraph", action="decline,refer", types="Mitigant",
                          limit=20000, metadata="false")
    assert code == 200 and sg["edges"] and all(e["type"] == "OVERRIDES" for e in sg["edges"])
    code, st = await _get(api, "graph", "rules", "status")
    assert code == 200 and st["connected"] and st["current"]


async def test_bad_parameters_name_themselves(api, served_rules):
    for params, name in [({"node_id": "Rule:R000001", "depth": "4"}, "depth"),
                         ({"node_id": "Bad:x"}, "node_id"), ({"node_id": "Rule) DETACH DELETE (n:x"}, "node_id"),
                         ({}, "node_id"), ({"node_id": "Rule:R000001", "limit": "0"}, "limit")]:
        code, body = await _get(api, "graph", "rules", "neighbourhood", **params)
        assert code == 400 and name in body["error"] and body["type"] == "bad_parameter", (params, body)
    code, body = await _get(api, "graph", "rules", "subgraph", types="Rule`)")
    assert code == 400 and "types" in body["error"]
    code, body = await _get(api, "graph", "rules", "search", q="")
    assert code == 400 and "q" in body["error"]
    code, body = await _get(api, "graph", "nope", "summary")
    assert code == 404 and "nope" in body["error"]
    code, body = await _get(api, "graph", "ev", "summary")
    assert code == 400 and "rules" in body["error"]
    code, body = await _get(api, "graph", "rules", "neighbourhood", node_id="Rule:missing")
    assert code == 404 and "Rule:missing" in body["error"]


async def test_rule_changes_with_history_reach_the_graph(api, served_rules):
    code, cfg = await _get(api, "memory", "config")
    assert code == 200 and cfg["role_columns"]["name"] == "rule_name" and len(cfg["config_hash"]) == 32
    await _get(api, "graph", "rules", "summary")  # the graph exists and is current
    body = {"id": "NEW-1", "name": "Brand new rule", "action": "escalate", "group_by": "Quote's \"risk\" })",
            "mitigants": ["Fresh mitigant", "Guarantor"], "source": "Committee minutes"}
    r = await api("POST", "memory", "rules", "rules", body=body)
    assert r.code == 201, r.body
    rule = strict_json(r)["rule"]
    assert rule["batch_id"] == "manual" and rule["ingestion_status"] == "pending"
    assert rule["risk_factor"] == "Quote's \"risk\" })" and rule["mitigants"] == ["Fresh mitigant", "Guarantor"]
    code, n = await _get(api, "graph", "rules", "neighbourhood", node_id="Rule:NEW-1")
    assert {x["id"] for x in n["nodes"]} == {"Rule:NEW-1", "RiskFactor:quote_s__risk____", "Outcome:escalate",
                                              "Mitigant:fresh_mitigant", "Mitigant:guarantor",
                                              "Source:committee_minutes"}
    r = await api("PUT", "memory", "rules", "rules", "NEW-1", body={"action": "refer", "mitigants": []})
    assert r.code == 200 and strict_json(r)["rule"]["action"] == "refer"
    code, n = await _get(api, "graph", "rules", "neighbourhood", node_id="Rule:NEW-1")
    assert "Outcome:refer" in {x["id"] for x in n["nodes"]}
    code, body = await _get(api, "graph", "rules", "search", q="Fresh mitigant")
    assert body["total"] == 0  # its only rule no longer lists it: the node went
    r = await api("DELETE", "memory", "rules", "rules", "NEW-1")
    assert r.code == 200 and strict_json(r)["rule"]["id"] == "NEW-1"
    code, body = await _get(api, "graph", "rules", "neighbourhood", node_id="Rule:NEW-1")
    assert code == 404
    code, h = await _get(api, "memory", "rules", "history", rule_id="NEW-1")
    assert [x["op"] for x in h["history"]] == ["delete", "update", "create"]
    assert h["history"][1]["before"]["action"] == "escalate" and h["history"][1]["after"]["action"] == "refer"


async def test_rule_change_errors(api, served_rules):
    r = await api("POST", "memory", "rules", "rules", body={"id": "R000001", "name": "x", "action": "y"})
    assert r.code == 409 and "R000001" in strict_json(r)["error"]
    r = await api("POST", "memory", "rules", "rules", body={"name": "no action"})
    assert r.code == 400 and "action" in strict_json(r)["error"]
    r = await api("POST", "memory", "rules", "rules", body={"name": "x", "action": "y", "colour": "red"})
    assert r.code == 400 and "colour" in strict_json(r)["error"]
    r = await api("PUT", "memory", "rules", "rules", "nope", body={"action": "y"})
    assert r.code == 404
    r = await api("PUT", "memory", "rules", "rules", "R000001", body={"mitigants": {"a": 1}})
    assert r.code == 400 and "mitigants" in strict_json(r)["error"]
    r = await api("DELETE", "memory", "ev", "rules", "x")
    assert r.code == 400
    r = await api("POST", "memory", "rules", "rules", body="not json{", headers={"Content-Type": "application/json"})
    assert r.code == 400


async def test_rebuild_job_and_openapi(api, axis_state, served_rules):
    r = await api("POST", "graph", "rules", "rebuild", body={})
    assert r.code == 202
    job = axis_state.jobs.get(strict_json(r)["job"]["id"])
    await job.wait()
    assert job.state == "succeeded" and job.result["nodes"] > 400
    r = await api("GET", "openapi.json")
    paths = strict_json(r)["paths"]
    assert paths["/graph/{name}/neighbourhood"]["get"]["x-auth-resource"] == "axis:graph"
    assert paths["/memory/{name}/rules/{rule_id}"]["put"]["x-auth-resource"] == "axis:memory"
    names = {p["name"] for p in paths["/graph/{name}/neighbourhood"]["get"]["parameters"]}
    assert {"name", "node_id", "depth", "limit"} <= names
