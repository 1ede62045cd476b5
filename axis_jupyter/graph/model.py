"""Rules -> the nodes and edges of the knowledge graph (pure Python, no database).

:func:`graph_parts` turns the rows of a rules dataset (canonical columns, see
:mod:`axis_jupyter.memory_config`) into node property maps per type and edges per type, as
:mod:`.schema` describes. The builder writes them to FalkorDB; rule CRUD uses
:func:`rule_parts` for one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from .schema import EDGE_TYPES, NODE_TYPES, RULE_PROPERTIES, node_id


@dataclass
class Parts:
    """Nodes by type (id -> properties) and edges by type (a set of (source id, target id))."""

    nodes: dict[str, dict[str, dict]] = field(default_factory=lambda: {t: {} for t in NODE_TYPES})
    edges: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: {t: set() for t in EDGE_TYPES})

    def node_count(self) -> int:
        return sum(len(v) for v in self.nodes.values())

    def edge_count(self) -> int:
        return sum(len(v) for v in self.edges.values())


def _blank(v: Any) -> bool:
    """None, NaN, NaT or blank text (rows come from Arrow: plain Python values)."""
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float):
        return v != v
    return v is _NAT or (type(v).__name__ in ("NaTType", "NAType"))


_NAT = object()
try:  # pandas' missing-time marker, if pandas made the rows
    import pandas as _pd

    _NAT = _pd.NaT
except ImportError:  # pragma: no cover - pandas is a dependency
    pass


def _items(v: Any) -> list[str]:
    """A list cell (a list, a numpy array, or None) as clean text items."""
    if v is None:
        return []
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if not isinstance(v, list):
        try:
            v = list(v)
        except TypeError:
            return []
    out = []
    for x in v:
        if x is not None:
            t = (x if isinstance(x, str) else str(x)).strip()
            if t:
                out.append(t)
    return out


def _prop(v: Any) -> Any:
    """A property value FalkorDB stores: text, a number or a boolean (lists as text)."""
    if isinstance(v, (str, bool, int, float)):
        return v
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "item") and not hasattr(v, "__len__"):  # numpy scalar
        return _prop(v.item())
    if hasattr(v, "__iter__"):
        return ", ".join(_items(v))
    return str(v)


def _entity(parts: Parts, typ: str, name: str) -> str | None:
    name = name.strip()
    if not name:
        return None
    nid = node_id(typ, name)
    if nid not in parts.nodes[typ]:
        parts.nodes[typ][nid] = {"id": nid, "name": name, "name_lc": name.lower()}
    return nid


def add_rule(parts: Parts, rule: dict) -> str | None:
    """Add one rule (a dict of canonical columns) and what it connects to; its node id."""
    rid = rule.get("id")
    if _blank(rid):
        return None
    rid = str(rid)
    nid = node_id("Rule", rid)
    name = rule.get("rule_name")
    name = rid if _blank(name) else str(name)
    props = {"id": nid, "rule_id": rid, "name": name, "name_lc": name.lower()}
    for col in RULE_PROPERTIES:
        v = rule.get(col)
        if col in ("mitigants", "data_fields"):
            items = _items(v)
            if items:
                props[col] = ", ".join(items)
            continue
        if not _blank(v):
            props[col] = _prop(v)
    parts.nodes["Rule"][nid] = props
    rf = rule.get("risk_factor")
    if not _blank(rf) and (src := _entity(parts, "RiskFactor", str(rf))):
        parts.edges["TRIGGERS"].add((src, nid))
    action = rule.get("action")
    if not _blank(action) and (dst := _entity(parts, "Outcome", str(action))):
        parts.edges["RESULTS_IN"].add((nid, dst))
    for m in _items(rule.get("mitigants")):
        if src := _entity(parts, "Mitigant", m):
            parts.edges["OVERRIDES"].add((src, nid))
    source = rule.get("source")
    if not _blank(source) and (dst := _entity(parts, "Source", str(source))):
        parts.edges["DERIVED_FROM"].add((nid, dst))
    return nid


def set_degrees(parts: Parts) -> Parts:
    """Store each node's number of edges as its ``degree`` property (search ranks by it)."""
    deg: dict[str, int] = {}
    for pairs in parts.edges.values():
        for a, b in pairs:
            deg[a] = deg.get(a, 0) + 1
            deg[b] = deg.get(b, 0) + 1
    for nodes in parts.nodes.values():
        for nid, props in nodes.items():
            props["degree"] = deg.get(nid, 0)
    return parts


def graph_parts(rules: Iterable[dict]) -> Parts:
    """Nodes and edges of every rule in ``rules`` (dicts of canonical columns), each node
    with its ``degree``."""
    parts = Parts()
    for rule in rules:
        add_rule(parts, rule)
    return set_degrees(parts)


def rule_parts(rule: dict) -> Parts:
    """The nodes and edges one rule brings (its own node first)."""
    parts = Parts()
    add_rule(parts, rule)
    return parts
