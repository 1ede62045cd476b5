"""Writing knowledge graphs into FalkorDB: whole builds and one rule's change.

A build writes a *new* graph (``axis:graph:<dataset>:<tag>``), nodes then edges in batches
of parameterised ``UNWIND`` queries, and only then points the dataset at it (one field of
the ``axis:graphs`` hash holds ``{graph, stamp}``) and deletes the old graph. Readers
therefore see the old graph or the new one, never half of one. ``stamp`` says which state
of the rules the graph shows (see :mod:`.api`); a graph whose stamp differs from the
store's is stale and is rebuilt.

A rule's create, update or delete changes the current graph in place: the rule's node and
edges are replaced, the nodes it connects to are merged, and nodes left without any edge
are removed, so the graph stays what a fresh build would give.

Labels and edge types in the query text come from :mod:`.schema`'s allowlists only;
every value is a query parameter.
"""

from __future__ import annotations

import json
import uuid
from typing import Callable

from .model import Parts
from .schema import EDGE_ENDS, EDGE_LABELS, EDGE_TYPES, NODE_TYPES

BATCH = 10_000


def _batches(items: list, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def pointer(server, dataset: str) -> dict | None:
    """``{graph, stamp}`` of ``dataset``'s current graph, or None."""
    raw = server.redis.hget(server.pointer_key(), dataset)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "graph" in value else None


def set_stamp(server, dataset: str, graph_key: str, stamp: str | None) -> None:
    server.redis.hset(server.pointer_key(), dataset, json.dumps({"graph": graph_key, "stamp": stamp}))


def _write_parts(g, parts: Parts, progress: Callable[[int, int], None] | None = None) -> None:
    total = parts.node_count() + parts.edge_count()
    done = 0
    for typ in NODE_TYPES:
        rows = list(parts.nodes[typ].values())
        for chunk in _batches(rows):
            g.query(f"UNWIND $rows AS r CREATE (n:{typ}) SET n = r", {"rows": chunk})
            done += len(chunk)
            if progress:
                progress(done, total)
    for etype in EDGE_TYPES:
        src, dst = EDGE_ENDS[etype]
        pairs = [list(p) for p in sorted(parts.edges[etype])]
        for chunk in _batches(pairs):
            g.query(f"UNWIND $pairs AS p MATCH (a:{src} {{id: p[0]}}) MATCH (b:{dst} {{id: p[1]}}) "
                    f"CREATE (a)-[:{etype} {{label: $label}}]->(b)",
                    {"pairs": chunk, "label": EDGE_LABELS[etype]})
            done += len(chunk)
            if progress:
                progress(done, total)


def build(server, dataset: str, parts: Parts, stamp: str,
          progress: Callable[[int, int], None] | None = None) -> str:
    """Write ``parts`` as a new graph for ``dataset``, switch to it, drop the old one."""
    key = server.graph_key(dataset, uuid.uuid4().hex[:10])
    g = server.graph(key)
    try:
        for typ in NODE_TYPES:  # before the nodes: edges are matched by id
            g.query(f"CREATE INDEX FOR (n:{typ}) ON (n.id)")
        _write_parts(g, parts, progress)
    except BaseException:
        _delete_quietly(server, key)
        raise
    old = pointer(server, dataset)
    set_stamp(server, dataset, key, stamp)
    if old and old.get("graph") != key:
        _delete_quietly(server, old["graph"])
    return key


def drop(server, dataset: str) -> None:
    """Forget ``dataset``'s graph (the dataset was dropped)."""
    old = pointer(server, dataset)
    server.redis.hdel(server.pointer_key(), dataset)
    if old:
        _delete_quietly(server, old["graph"])


def _delete_quietly(server, key: str) -> None:
    try:
        server.graph(key).delete()
    except Exception:  # an empty or already deleted graph
        pass


# ----------------------------------------------------------------------------- one rule
def replace_rule(g, rule_node_id: str | None, parts: Parts | None) -> None:
    """Remove rule ``rule_node_id`` (if given) and add ``parts`` (one rule's nodes and
    edges, if given); nodes left without edges go."""
    touched: dict[str, set[str]] = {t: set() for t in NODE_TYPES}
    if rule_node_id:
        res = g.query("MATCH (r:Rule {id: $id}) OPTIONAL MATCH (r)-[]-(m) "
                      "RETURN labels(m)[0], m.id", {"id": rule_node_id})
        for label, mid in res.result_set:
            if label in touched and mid is not None:
                touched[label].add(mid)
        g.query("MATCH (r:Rule {id: $id}) DETACH DELETE r", {"id": rule_node_id})
    if parts is not None:
        for typ in NODE_TYPES:
            rows = list(parts.nodes[typ].values())
            if not rows:
                continue
            if typ == "Rule":
                g.query("UNWIND $rows AS r CREATE (n:Rule) SET n = r", {"rows": rows})
            else:
                g.query(f"UNWIND $rows AS r MERGE (n:{typ} {{id: r.id}}) "
                        "ON CREATE SET n.name = r.name, n.name_lc = r.name_lc", {"rows": rows})
        for etype in EDGE_TYPES:
            src, dst = EDGE_ENDS[etype]
            pairs = [list(p) for p in parts.edges[etype]]
            if pairs:
                g.query(f"UNWIND $pairs AS p MATCH (a:{src} {{id: p[0]}}) MATCH (b:{dst} {{id: p[1]}}) "
                        f"MERGE (a)-[:{etype} {{label: $label}}]->(b)",
                        {"pairs": pairs, "label": EDGE_LABELS[etype]})
    if parts is not None:
        for typ in NODE_TYPES:
            touched[typ].update(parts.nodes[typ])
    for typ, ids in touched.items():
        if not ids:
            continue
        # every node whose edges changed: its degree again, and gone if it has no edge left
        g.query(f"UNWIND $ids AS i MATCH (n:{typ} {{id: i}}) OPTIONAL MATCH (n)-[e]-() "
                "WITH n, count(e) AS c SET n.degree = c", {"ids": sorted(ids)})
        if typ != "Rule":
            g.query(f"UNWIND $ids AS i MATCH (n:{typ} {{id: i}}) WHERE n.degree = 0 DELETE n",
                    {"ids": sorted(ids)})
