"""Knowledge-graph benchmark (issue 15), side by side with networkx in one run.

Generates rules whose graph has 100,000 nodes (80,000 rules, 12,000 risk factors, 6,000
mitigants, 1,995 sources, 5 outcomes) into a DuckDB store on disk and measures, against the
same rules held in networkx (the baseline the issue names):

(a) build      AXIS: read the rules from the store, make the nodes and edges, write them
               into the embedded FalkorDB (falkordblite) as a new graph and switch to it;
               networkx: read the same rules from the store and build a ``MultiDiGraph``
(b) neighbourhood, depth 2, from a risk factor, a mitigant, a source and a rule (a rule's
               outcome is a hub: its depth-2 neighbourhood holds a quarter of the rules):
               ``g.neighbourhood(id, depth=2, limit=100_000)`` (every node and edge with its
               properties) against ``networkx.ego_graph`` on the undirected graph, then its
               nodes with their data and its edges (the same answer); and the hub case once
               more without the nodes' properties (``metadata=False``, what the view asks for)
(c) search     ``g.search(text, limit=20)`` (name contains text, most connected first)
               against a scan of the networkx nodes' names, then the same ranking

Queries run ``--rounds`` interleaved rounds (default 5), best time counts; builds 2 rounds.
Writes ``benchmarks/results/graph.json`` and prints a markdown table; ratio = AXIS time /
networkx time (below 1: AXIS is faster).

    .venv/bin/python benchmarks/bench_graph.py [--rules 80000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import networkx as nx  # noqa: E402

import axis_jupyter  # noqa: E402
from axis_jupyter.graph import connection  # noqa: E402
from axis_jupyter.graph.api import KnowledgeGraph, _rebuild, read_rules  # noqa: E402
from axis_jupyter.graph.demo import rules_frame  # noqa: E402
from axis_jupyter.graph.schema import slug  # noqa: E402
from common import RESULTS, machine  # noqa: E402


def nx_build(rows: list[dict]) -> nx.MultiDiGraph:
    """The same graph in networkx: nodes with their properties, one edge per relation."""
    g = nx.MultiDiGraph()
    node_data = {}

    def entity(typ, name):
        name = str(name).strip()
        k = f"{typ}:{slug(name)}"
        if k not in node_data:
            node_data[k] = {"type": typ, "name": name, "name_lc": name.lower()}
        return k

    edges = []
    for r in rows:
        rid = f"Rule:{r['id']}"
        node_data[rid] = {"type": "Rule", "rule_id": r["id"],
                          **{k: v for k, v in r.items() if v is not None and k != "id"},
                          "name": r["rule_name"], "name_lc": str(r["rule_name"]).lower()}
        if r.get("risk_factor"):
            edges.append((entity("RiskFactor", r["risk_factor"]), rid, "TRIGGERS"))
        if r.get("action"):
            edges.append((rid, entity("Outcome", r["action"]), "RESULTS_IN"))
        for m in r.get("mitigants") or []:
            edges.append((entity("Mitigant", m), rid, "OVERRIDES"))
        if r.get("source"):
            edges.append((rid, entity("Source", r["source"]), "DERIVED_FROM"))
    g.add_nodes_from(node_data.items())
    g.add_edges_from((u, v, k, {"type": k}) for u, v, k in dict.fromkeys(edges))
    return g


def nx_neighbourhood(g: nx.MultiDiGraph, und: nx.Graph, node: str, depth: int, data: bool = True) -> dict:
    ego = nx.ego_graph(und, node, radius=depth)
    if data:
        nodes = [{"id": n, **g.nodes[n]} for n in ego.nodes]
    else:
        nodes = [{"id": n, "name": g.nodes[n]["name"], "type": g.nodes[n]["type"], "degree": g.degree(n)}
                 for n in ego.nodes]
    edges = [{"source": u, "target": v, "type": k} for u, v, k in g.subgraph(ego.nodes).edges(keys=True)]
    return {"nodes": nodes, "edges": edges}


def nx_search(g: nx.MultiDiGraph, text: str, limit: int = 20) -> list:
    q = text.lower()
    hits = [(n, d) for n, d in g.nodes(data=True) if q in d["name_lc"]]
    ranked = sorted(hits, key=lambda nd: (-g.degree(nd[0]), nd[1]["name"]))[:limit]
    return [{"node_id": n, "label": d["name"], "type": d["type"], "connected_nodes": g.degree(n)}
            for n, d in ranked]


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=80_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    n = args.rules
    frame = rules_frame(n, risk_factors=int(n * 0.15), mitigants=int(n * 0.075),
                        sources=int(n * 0.0249375) or 2, batches=max(1, n // 500), seed=5)
    tmp = Path(tempfile.mkdtemp(prefix="axis-bench-graph-"))
    store = axis_jupyter.LocalStore(tmp / "graph.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(frame, name="rules", kind="rules")
    kg = KnowledgeGraph(store, "rules")
    server = kg.server
    kg.status()  # start the embedded FalkorDB outside the timings

    build_ours, build_nx = [], []
    g = None
    for _ in range(2):
        t, res = timed(lambda: _rebuild(store, "rules", server))
        build_ours.append(t)
        t, g = timed(lambda: nx_build(read_rules(store, "rules")))
        build_nx.append(t)
    summary = kg.summary()
    assert summary["total_nodes"] == g.number_of_nodes(), (summary["total_nodes"], g.number_of_nodes())
    assert summary["total_edges"] == g.number_of_edges()
    und = nx.Graph(g.to_undirected(as_view=True))

    def first(typ):
        return min(k for k, d in g.nodes(data=True) if d["type"] == typ)

    starts = {"risk factor": first("RiskFactor"), "mitigant": first("Mitigant"),
              "source": first("Source"), "rule (via its outcome hub)": "Rule:R000001"}
    texts = {"'debt' (many hits)": "debt", "'guarantor 12' (few)": "guarantor 12", "'zzz' (none)": "zzz"}
    times: dict[str, dict[str, list]] = {}
    sizes = {}
    for _ in range(args.rounds):
        for label, node in starts.items():
            t1, ours = timed(lambda: kg.neighbourhood(node, depth=2, limit=100_000))
            t2, base = timed(lambda: nx_neighbourhood(g, und, node, 2))
            assert {x["id"] for x in ours.node_list} == {x["id"] for x in base["nodes"]}
            assert len(ours.edge_list) == len(base["edges"])
            sizes[f"neighbourhood {label}"] = f"{len(ours.node_list):,} nodes, {len(ours.edge_list):,} edges"
            times.setdefault(f"neighbourhood {label}", {"ours": [], "nx": []})
            times[f"neighbourhood {label}"]["ours"].append(t1)
            times[f"neighbourhood {label}"]["nx"].append(t2)
        hub = starts["rule (via its outcome hub)"]
        case = "neighbourhood rule (via its hub), no properties"
        t1, ours = timed(lambda: kg.neighbourhood(hub, depth=2, limit=100_000, metadata=False))
        t2, base = timed(lambda: nx_neighbourhood(g, und, hub, 2, data=False))
        assert {x["id"] for x in ours.node_list} == {x["id"] for x in base["nodes"]}
        sizes[case] = f"{len(ours.node_list):,} nodes (id, name, type, degree)"
        times.setdefault(case, {"ours": [], "nx": []})
        times[case]["ours"].append(t1)
        times[case]["nx"].append(t2)
        for label, text in texts.items():
            t1, ours = timed(lambda: kg.search(text, limit=20))
            t2, base = timed(lambda: nx_search(g, text, 20))
            assert ours["connected_nodes"].tolist() == [b["connected_nodes"] for b in base]
            sizes[f"search {label}"] = f"{ours.attrs['total']:,} matches"
            times.setdefault(f"search {label}", {"ours": [], "nx": []})
            times[f"search {label}"]["ours"].append(t1)
            times[f"search {label}"]["nx"].append(t2)

    rows = [{"case": "build from the rules", "size": f"{summary['total_nodes']:,} nodes, "
             f"{summary['total_edges']:,} edges", "axis_ms": min(build_ours) * 1000,
             "networkx_ms": min(build_nx) * 1000}]
    for case, tt in times.items():
        rows.append({"case": case, "size": sizes[case], "axis_ms": min(tt["ours"]) * 1000,
                     "networkx_ms": min(tt["nx"]) * 1000})
    for r in rows:
        r["ratio"] = r["axis_ms"] / r["networkx_ms"]
    print("| case | size | AXIS (FalkorDB) ms | networkx ms | AXIS / networkx |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['size']} | {r['axis_ms']:.1f} | {r['networkx_ms']:.1f} | {r['ratio']:.2f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "graph.json").write_text(json.dumps(
        {"machine": machine(), "rules": n, "rounds": args.rounds, "rows": rows,
         "nodes_by_type": summary["nodes_by_type"]}, indent=2))
    connection.close_for(store)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
