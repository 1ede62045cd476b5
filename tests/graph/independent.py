"""The knowledge graph and the rules analytics computed independently of axis_jupyter:
networkx and pandas over the generated rules frame, with their own parsing of the
mitigant cells (json / ast.literal_eval), their own slugs and their own grouping."""

from __future__ import annotations

import ast
import json
import re

import networkx as nx
import pandas as pd

EDGE = {"TRIGGERS": ("RiskFactor", "Rule"), "RESULTS_IN": ("Rule", "Outcome"),
        "OVERRIDES": ("Mitigant", "Rule"), "DERIVED_FROM": ("Rule", "Source")}


def blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def items(cell) -> list[str]:
    """A mitigants cell as the reference reads it: JSON list, Python list, or one name."""
    if hasattr(cell, "tolist") and not isinstance(cell, str):  # a numpy array from DuckDB
        cell = cell.tolist()
    if isinstance(cell, (list, tuple)):
        vals = list(cell)
    elif blank(cell):
        return []
    else:
        text = str(cell).strip()
        try:
            vals = json.loads(text)
        except ValueError:
            try:
                vals = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                vals = text
        if not isinstance(vals, list):
            vals = [vals]
    return [str(v).strip() for v in vals if v is not None and str(v).strip()]


def key(typ: str, name) -> str:
    if typ == "Rule":
        return f"Rule:{name}"
    return f"{typ}:" + re.sub(r"[^a-z0-9_]", "_", str(name).strip().lower())


def nx_graph(frame: pd.DataFrame) -> nx.MultiDiGraph:
    """Nodes carry ``type`` and ``name``; one edge per (source, target, type)."""
    g = nx.MultiDiGraph()

    def node(typ, name):
        k = key(typ, name)
        if k not in g:
            g.add_node(k, type=typ, name=str(name).strip())
        return k

    for r in frame.to_dict("records"):
        rule = node("Rule", r["id"])
        g.nodes[rule]["name"] = r["rule_name"] if not blank(r.get("rule_name")) else str(r["id"])
        if not blank(r.get("risk_factor")):
            a = node("RiskFactor", r["risk_factor"])
            if not g.has_edge(a, rule, "TRIGGERS"):
                g.add_edge(a, rule, key="TRIGGERS")
        if not blank(r.get("action")):
            b = node("Outcome", r["action"])
            if not g.has_edge(rule, b, "RESULTS_IN"):
                g.add_edge(rule, b, key="RESULTS_IN")
        for m in items(r.get("mitigants")):
            a = node("Mitigant", m)
            if not g.has_edge(a, rule, "OVERRIDES"):
                g.add_edge(a, rule, key="OVERRIDES")
        if not blank(r.get("source")):
            b = node("Source", r["source"])
            if not g.has_edge(rule, b, "DERIVED_FROM"):
                g.add_edge(rule, b, key="DERIVED_FROM")
    return g


def counts(g: nx.MultiDiGraph) -> tuple[dict, dict]:
    nodes: dict = {}
    for _, d in g.nodes(data=True):
        nodes[d["type"]] = nodes.get(d["type"], 0) + 1
    edges: dict = {}
    for _, _, k in g.edges(keys=True):
        edges[k] = edges.get(k, 0) + 1
    return nodes, edges


def ego(g: nx.MultiDiGraph, node: str, depth: int) -> tuple[set, set]:
    """Nodes within ``depth`` of ``node`` (either direction) and the edges among them."""
    und = nx.Graph(g.to_undirected(as_view=True))
    near = set(nx.single_source_shortest_path_length(und, node, cutoff=depth))
    edges = {(u, v, k) for u, v, k in g.edges(keys=True) if u in near and v in near}
    return near, edges


# ----------------------------------------------------------------------------- pandas
PALETTE = ["#3498DB", "#E74C3C", "#F39C12", "#8B9F4F", "#9B59B6", "#1ABC9C", "#D4AF37", "#7F8C8D"]


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the rules table holds it: blank text as missing, mitigants as lists."""
    df = frame.copy()
    for c in df.columns:
        if df[c].dtype == object and c != "mitigants":
            df[c] = [None if blank(v) else str(v).strip() for v in df[c]]
    df["mitigants"] = [items(v) for v in df["mitigants"]]
    return df


def summary(df: pd.DataFrame, hard_action="decline", require_empty=True) -> dict:
    hard = (df.action == hard_action) & ((df.mitigants.map(len) == 0) if require_empty else True)
    return {"rules_count": len(df), "risk_factors_count": df.risk_factor.dropna().nunique(),
            "mitigants_count": len({m for ms in df.mitigants for m in ms}),
            "hard_stops_count": int(hard.sum()), "batches_count": df.batch_id.dropna().nunique(),
            "actions_count": df.action.dropna().nunique()}


def conflicts(df: pd.DataFrame, pairs) -> dict:
    """(risk_factor, product) -> sorted actions of the pairs present."""
    out = {}
    for (rf, prod), grp in df[df.risk_factor.notna()].groupby(
            ["risk_factor", df.product_type.fillna("<none>")]):
        acts = set(grp.action.dropna())
        hit = sorted({a for p in pairs if p[0] in acts and p[1] in acts for a in p})
        if hit:
            out[(rf, None if prod == "<none>" else prod)] = (hit, sorted(grp.loc[grp.action.isin(hit), "id"]))
    return out
