"""What the knowledge-graph explorer shows (reference: upstream-ui.md §1.8 "Knowledge Graph",
catalogue row 73).

The graph of a rules dataset (the store's only one when no dataset is named), from the
FalkorDB graph kept in step with the rules (:mod:`axis_jupyter.graph`). Big answers travel
without node metadata; one node's details are asked for when it is opened.

``payload``        {types, limit, filters} -> counts per type and relation, rules by action,
                   and a first subgraph of at most ``limit`` edges (default 2000)
``search``         {text, limit} -> matching nodes, most connected first, and the total
``neighbourhood``  {node_id, depth, limit} -> the nodes within depth edges and their edges
``node``           {node_id} -> one node's properties, edges and neighbours (the detail panel)
"""

from __future__ import annotations

from ..wire import jsonable, records
from .registry import ViewSpec

VIEW = "graph"
FIRST_EDGES = 2000


def _graph(store, dataset):
    from ..graph import open_graph

    return open_graph(store, dataset)


def _rule_filters(filters) -> dict:
    from ..graph.schema import RULE_FILTERS
    from ..params import ParameterError

    out = {}
    for k, v in (filters or {}).items():
        if k not in RULE_FILTERS:
            raise ParameterError(f"filters.{k} is not a graph filter (filters: {', '.join(RULE_FILTERS)}).",
                                 param=f"filters.{k}")
        if v not in (None, "", []):
            out[k] = v
    return out


def payload(store, dataset=None, types=None, limit=FIRST_EDGES, filters=None) -> dict:
    g = _graph(store, dataset)
    sg = g.subgraph(types=types or None, limit=limit, metadata=False, **_rule_filters(filters))
    return jsonable({"dataset": g.dataset, "summary": g.summary(), "graph": sg.to_dict(),
                     "limit": limit})


def search(store, dataset=None, text=None, limit=20) -> dict:
    df = _graph(store, dataset).search(text, limit=min(int(limit), 100))
    return jsonable({"results": records(df), "total": int(df.attrs.get("total", len(df))),
                     "query": text})


def neighbourhood(store, dataset=None, node_id=None, depth=1, limit=500) -> dict:
    sg = _graph(store, dataset).neighbourhood(node_id, depth=depth, limit=limit, metadata=False)
    return jsonable(sg.to_dict())


def node(store, dataset=None, node_id=None) -> dict:
    return jsonable(_graph(store, dataset).node(node_id))


SPEC = ViewSpec(VIEW, "Knowledge graph of decision rules: force layout, search, neighbourhoods",
                actions={"payload": payload, "search": search, "neighbourhood": neighbourhood,
                         "node": node},
                kinds=("rules",))
