"""Reading a knowledge graph: summary, filtered subgraph, search, neighbourhood.

Every query is read-only (``GRAPH.RO_QUERY``: FalkorDB itself refuses a write in one) and
parameterised; the only names in the query text are labels and Rule property names from
:mod:`.schema`'s allowlists.

The neighbourhood is a breadth-first search run level by level: each level is one query
that expands the frontier by internal node id (an id seek per node, not a scan), so depth 2
around a node costs what its neighbours cost, never the whole graph. Because every edge
joins a Rule to a node of another type (the graph is bipartite), two nodes at the same
distance are never adjacent, and the edges met while expanding are exactly the edges among
the nodes found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import NotFoundError, ParameterError
from .schema import EDGE_LABELS, NODE_COLORS, NODE_TYPES, RULE_FILTERS, check_types, parse_node_id

HIDDEN = ("id", "name", "name_lc", "degree")
MAX_LIMIT = 100_000
MAX_TEXT = 200
_SEEK_BATCH = 10_000


def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ParameterError(f"{name} must be an integer from {lo} to {hi}, not {value!r}.", param=name)
    return value


def node_dict(node, **extra) -> dict:
    """A FalkorDB node as ``{id, label, type, degree, metadata}`` (metadata: the other
    properties, as text, as the reference shows them)."""
    props = dict(node.properties)
    typ = node.labels[0] if node.labels else ""
    out = {"id": props.get("id"), "label": props.get("name") or props.get("id"), "type": typ,
           "degree": int(props.get("degree") or 0),
           "metadata": {k: (v if isinstance(v, str) else str(v)) for k, v in sorted(props.items())
                        if k not in HIDDEN and v is not None}}
    out.update(extra)
    return out


def _brief(nid, name, typ, degree, **extra) -> dict:
    """A node without its metadata (big subgraphs and expansions: the view asks for one
    node's details when it needs them)."""
    return {"id": nid, "label": name or nid, "type": typ or "", "degree": int(degree or 0),
            "metadata": {}, **extra}


@dataclass
class Subgraph:
    """Nodes and edges of part of the graph. ``nodes``/``edges`` are DataFrames;
    :meth:`to_dict` is the JSON form the HTTP API returns."""

    node_list: list[dict] = field(default_factory=list)
    edge_list: list[dict] = field(default_factory=list)
    truncated: bool = False
    focal_node: dict | None = None
    depth: int | None = None

    @property
    def nodes(self) -> pd.DataFrame:
        return pd.DataFrame(self.node_list, columns=_cols(self.node_list, ["id", "label", "type", "metadata"]))

    @property
    def edges(self) -> pd.DataFrame:
        return pd.DataFrame(self.edge_list, columns=["source", "target", "type", "label"])

    def node_counts(self) -> dict[str, int]:
        return _counts(n["type"] for n in self.node_list)

    def edge_counts(self) -> dict[str, int]:
        return _counts(e["type"] for e in self.edge_list)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"nodes": self.node_list, "edges": self.edge_list,
                             "node_counts": self.node_counts(), "edge_counts": self.edge_counts(),
                             "truncated": self.truncated}
        if self.focal_node is not None:
            d["focal_node"] = self.focal_node
            d["depth"] = self.depth
        return d

    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` of these nodes and edges (needs networkx)."""
        import networkx as nx

        g = nx.MultiDiGraph()
        for n in self.node_list:
            g.add_node(n["id"], label=n["label"], type=n["type"], **n["metadata"])
        for e in self.edge_list:
            g.add_edge(e["source"], e["target"], key=e["type"], type=e["type"])
        return g

    def __len__(self) -> int:
        return len(self.node_list)

    def __repr__(self) -> str:
        head = f"focal {self.focal_node['id']!r}, depth {self.depth}, " if self.focal_node else ""
        return (f"<Subgraph {head}{len(self.node_list)} nodes, {len(self.edge_list)} edges"
                f"{', truncated' if self.truncated else ''}>")


def _cols(rows: list[dict], base: list[str]) -> list[str]:
    extra = [k for k in (rows[0] if rows else {}) if k not in base]
    return base + extra


def _counts(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# ----------------------------------------------------------------------------- summary
def summary(g) -> dict:
    """total_nodes, total_edges, nodes_by_type, edges_by_relation, rules_by_action,
    rules_by_product (the reference's ``GET /summary``)."""
    nodes = {t: 0 for t in NODE_TYPES}
    for label, n in g.ro_query("MATCH (n) RETURN labels(n)[0], count(n)").result_set:
        nodes[label] = int(n)
    edges = {t: 0 for t in EDGE_LABELS}
    for typ, n in g.ro_query("MATCH ()-[e]->() RETURN type(e), count(e)").result_set:
        edges[typ] = int(n)

    def by(prop: str) -> dict:
        rows = g.ro_query(f"MATCH (r:Rule) WHERE r.{prop} IS NOT NULL RETURN r.{prop}, count(r) AS c "
                          "ORDER BY c DESC").result_set
        return {str(k): int(v) for k, v in rows}

    return {"total_nodes": sum(nodes.values()), "total_edges": sum(edges.values()),
            "nodes_by_type": nodes, "edges_by_relation": edges,
            "rules_by_action": by("action"), "rules_by_product": by("product_type"),
            "node_colors": dict(NODE_COLORS)}


# ----------------------------------------------------------------------------- subgraph
def _filter_values(name: str, value) -> list[str]:
    vals = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise ParameterError(f"{name} must be text or a list of text, not {v!r}.", param=name)
        out.append(str(v))
    if not out:
        raise ParameterError(f"{name} must name at least one value.", param=name)
    return out


def subgraph(g, types=None, limit: int = 500, metadata: bool = True, **filters) -> Subgraph:
    """Edges (with their end nodes) where an end is of one of ``types`` and the Rule end
    matches every filter (``action="decline"``, ``product_type=["mortgage", ...]``, any of
    :data:`~.schema.RULE_FILTERS`); at most ``limit`` edges. ``metadata=False`` leaves the
    nodes' other properties out (much less to send for big subgraphs)."""
    limit = _check_int("limit", limit, 1, MAX_LIMIT)
    types = check_types(types)
    where, params = [], {"limit": limit}
    if types:
        where.append("(labels(a)[0] IN $types OR labels(b)[0] IN $types)")
        params["types"] = types
    for key, value in filters.items():
        if value is None:
            continue
        if key not in RULE_FILTERS:
            raise ParameterError(f"subgraph has no filter {key!r} (filters: types, "
                                 f"{', '.join(RULE_FILTERS)}).", param=key)
        params[f"f_{key}"] = _filter_values(key, value)
        # ``key`` is one of RULE_FILTERS (checked above): a fixed property name
        where.append(f"((a:Rule AND a.{key} IN $f_{key}) OR (b:Rule AND b.{key} IN $f_{key}))")
    q = "MATCH (a)-[e]->(b)"
    if where:
        q += " WHERE " + " AND ".join(where)
    nodes: dict[str, dict] = {}
    edges = []
    if metadata:
        rows = g.ro_query(q + " RETURN a, type(e), e.label, b LIMIT $limit", params).result_set
        for a, typ, label, b in rows:
            for n in (a, b):
                if n.properties.get("id") not in nodes:
                    nodes[n.properties.get("id")] = node_dict(n)
            edges.append({"source": a.properties.get("id"), "target": b.properties.get("id"),
                          "type": typ, "label": label or EDGE_LABELS.get(typ, typ)})
    else:
        rows = g.ro_query(q + " RETURN a.id, a.name, labels(a)[0], a.degree, type(e), e.label, b.id, "
                          "b.name, labels(b)[0], b.degree LIMIT $limit", params).result_set
        for aid, aname, atyp, adeg, typ, label, bid, bname, btyp, bdeg in rows:
            if aid not in nodes:
                nodes[aid] = _brief(aid, aname, atyp, adeg)
            if bid not in nodes:
                nodes[bid] = _brief(bid, bname, btyp, bdeg)
            edges.append({"source": aid, "target": bid, "type": typ,
                          "label": label or EDGE_LABELS.get(typ, typ)})
    return Subgraph(list(nodes.values()), edges, truncated=len(rows) >= limit)


# ----------------------------------------------------------------------------- search
def _snippet(props: dict) -> str:
    shown = [(k, v) for k, v in props.items() if k not in HIDDEN and k != "rule_id" and v not in (None, "")]
    return " · ".join(f"{k}: {v}" for k, v in shown[:3])


def search(g, text: str, limit: int = 20, types=None) -> pd.DataFrame:
    """Nodes whose name contains ``text`` (any case), or the Rule whose id is ``text``, most
    connected first: node_id, label, type, connected_nodes, snippet. ``df.attrs["total"]``
    counts every match."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise ParameterError(f"text must be 1 to {MAX_TEXT} characters of text to look for.",
                             param="text")
    limit = _check_int("limit", limit, 1, 1000)
    types = check_types(types)
    params: dict[str, Any] = {"q": text.strip().lower(), "raw": text.strip(), "limit": limit}
    where = "(n.name_lc CONTAINS $q OR n.rule_id = $raw)"
    if types:
        where += " AND labels(n)[0] IN $types"
        params["types"] = types
    # one scan: the matches ranked by their stored degree, counted, the first ``limit`` kept
    total, rows = g.ro_query(
        f"MATCH (n) WHERE {where} WITH n ORDER BY n.degree DESC, n.name WITH collect(n) AS ns "
        "RETURN size(ns), ns[0..$limit]", params).result_set[0]
    out = [{"node_id": n.properties.get("id"), "label": n.properties.get("name"),
            "type": n.labels[0] if n.labels else "", "connected_nodes": int(n.properties.get("degree") or 0),
            "snippet": _snippet(n.properties)} for n in rows]
    df = pd.DataFrame(out, columns=["node_id", "label", "type", "connected_nodes", "snippet"])
    df.attrs["total"] = int(total)
    df.attrs["query"] = text
    return df


# ----------------------------------------------------------------------------- neighbourhood
def _focal(g, node_id: str):
    typ, nid = parse_node_id(node_id)
    # ``typ`` is one of NODE_TYPES (checked): the label lets the id index answer
    rows = g.ro_query(f"MATCH (n:{typ} {{id: $id}}) RETURN ID(n), n", {"id": nid}).result_set
    if not rows:
        raise NotFoundError(f"no node {nid!r} in this graph.")
    return rows[0]


def neighbourhood(g, node_id: str, depth: int = 1, limit: int = 500,
                  metadata: bool = True) -> Subgraph:
    """The nodes within ``depth`` (1-3) edges of ``node_id`` (either direction) and the
    edges among them; nearer nodes first, at most ``limit`` nodes (``truncated`` says
    whether some were left out). Each node carries its ``distance``; ``metadata=False``
    leaves the other properties out (the focal node keeps them)."""
    depth = _check_int("depth", depth, 1, 3)
    limit = _check_int("limit", limit, 1, MAX_LIMIT)
    fid, fnode = _focal(g, node_id)
    dist: dict[int, int] = {fid: 0}
    edges: dict[tuple[int, int, str], str] = {}
    frontier, truncated = [fid], False
    for d in range(1, depth + 1):
        if not frontier:
            break
        rows = []
        for chunk in (frontier[i:i + _SEEK_BATCH] for i in range(0, len(frontier), _SEEK_BATCH)):
            rows += g.ro_query("UNWIND $ids AS i MATCH (n) WHERE ID(n) = i MATCH (n)-[e]-(m) "
                               "RETURN ID(startNode(e)), ID(endNode(e)), type(e), e.label, ID(m)",
                               {"ids": chunk}).result_set
        rows.sort(key=lambda r: (r[4], r[0], r[1], r[2]))
        nxt = []
        for s, t, typ, label, m in rows:
            if m not in dist:
                if len(dist) >= limit:
                    truncated = True
                    continue
                dist[m] = d
                nxt.append(m)
            edges[(s, t, typ)] = label or EDGE_LABELS.get(typ, typ)
        frontier = nxt
    ids = sorted(dist, key=lambda i: (dist[i], i))
    by_internal: dict[int, dict] = {}
    for chunk in (ids[i:i + _SEEK_BATCH] for i in range(0, len(ids), _SEEK_BATCH)):
        if metadata:
            for iid, n in g.ro_query("UNWIND $ids AS i MATCH (n) WHERE ID(n) = i RETURN ID(n), n",
                                     {"ids": chunk}).result_set:
                by_internal[iid] = node_dict(n, distance=dist[iid])
        else:
            for iid, nid, name, typ, deg in g.ro_query(
                    "UNWIND $ids AS i MATCH (n) WHERE ID(n) = i RETURN ID(n), n.id, n.name, "
                    "labels(n)[0], n.degree", {"ids": chunk}).result_set:
                by_internal[iid] = _brief(nid, name, typ, deg, distance=dist[iid])
    nodes = [by_internal[i] for i in ids if i in by_internal]
    edge_list = [{"source": by_internal[s]["id"], "target": by_internal[t]["id"], "type": typ, "label": label}
                 for (s, t, typ), label in sorted(edges.items()) if s in by_internal and t in by_internal]
    return Subgraph(nodes, edge_list, truncated=truncated, focal_node=node_dict(fnode, distance=0),
                    depth=depth)
