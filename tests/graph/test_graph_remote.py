"""A kernel's view of the server's store (RemoteStore over HTTP): the graph, rule changes and
roles= reach the server, whose embedded FalkorDB answers; the same numbers as networkx."""

from __future__ import annotations

import asyncio

from axis_jupyter.graph.demo import rules_frame

from independent import counts, ego, nx_graph


async def test_remote_graph_rules_and_roles(served_rules, axis_state, http_server, jp_http_port, jp_base_url,
                                           frame):
    from axis_jupyter.workbench import RemoteStore

    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/"
    ref = nx_graph(frame)

    def work():  # a blocking client: off the server's event loop
        remote = RemoteStore(url, axis_state.secret)
        try:
            g = remote.graph()  # the server's only rules dataset
            s = g.summary()
            assert (s["nodes_by_type"], s["edges_by_relation"]) == counts(ref)
            near = g.neighbourhood("Rule:R000002", depth=2, limit=20_000)
            assert {n["id"] for n in near.node_list} == ego(ref, "Rule:R000002", 2)[0]
            found = g.search("debt", limit=100)
            want = {n for n, d in ref.nodes(data=True) if "debt" in d["name"].lower()}
            assert found.attrs["total"] == len(want) and set(found["node_id"]) <= want
            rules = remote.rules("rules")
            rid = rules.create(name="From a kernel", action="refer", group_by="Kernel factor")["id"]
            assert rules.get(rid)["risk_factor"] == "Kernel factor"
            assert "RiskFactor:kernel_factor" in {n["id"] for n in g.neighbourhood(f"Rule:{rid}").node_list}
            rules.delete(rid)
            assert rules.history().op.tolist()[:2] == ["delete", "create"]
            assert remote["rules"].rules_summary().rules_count[0] == len(frame)
            renamed = rules_frame(20, seed=4).rename(columns={"rule_name": "title"})
            ds = remote.load(renamed, name="kernel_rules", roles={"name": "title"})
            assert ds.kind == "rules"
            assert remote.graph("kernel_rules").summary()["nodes_by_type"]["Rule"] == 20
        finally:
            remote.close()

    await asyncio.to_thread(work)
