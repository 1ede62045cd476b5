"""The evaluation scorecard: per-node statistics and the weighted metric hierarchy.

Reference: upstream-ui.md §1.2 (Scorecard) and §2.2 (how the hierarchy is derived).

* :func:`node_partials` — **one** Ibis aggregation over the long scores table, grouped by
  experiment (``evaluation_name``, when the dataset has it) and ``metric_name``: count, sum,
  sum of squares, min, max, passes and a 5-bin histogram over [0, 1] (bin =
  ``min(floor(score * 5), 4)``, clamped at 0), plus parent, weight and type of each node.
  Partials (rather than means) let the caller combine any set of experiments exactly, so
  the per-experiment chart and the filtered scorecard come from the same scan.
* :func:`combine` — merges partials over the selected experiments into per-node stats.
* :func:`build_hierarchy` — links nodes to parents, derives level, type and sibling-
  normalised weights and orders rows depth-first (roots by weight desc, then name).
* :func:`kpis` — weighted overall score, the spread (std dev) of the metric means, metric/component counts.
* :func:`scorecard` — the registered analytic ``"scorecard"``: the hierarchy as a DataFrame.

Definitions (documented because the reference leaves some open):
  ``std``            sample standard deviation of a node's scores (None with < 2 scores)
  ``pass_rate``      share of non-null scores >= threshold (default 0.5), 0-1
  ``overall_score``  sum over roots of norm_weight * mean, renormalised over roots that have
                     a mean (a root with no scores does not drag the score to 0)
  ``score_std``      population standard deviation of the per-node means (every metric
                     name in the table with a mean): the reference's "Score Variance", which
                     is a standard deviation, so it is named one here
  ``metrics`` / ``components``  number of metric names whose recorded ``metric_type`` is
                     metric / component (case-insensitive; inferred type when none recorded)
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import pandas as pd

from ..config import PASS_THRESHOLD
from ..errors import QueryError
from .context import AnalyticContext
from .filters import apply_filters, split_filters

BINS = 5
EXPERIMENT_COLUMN = "evaluation_name"
PARTIAL_COLUMNS = ["n", "total", "sumsq", "min", "max", "passes", *[f"h{i}" for i in range(BINS)]]
HIERARCHY_COLUMNS = ["name", "parent", "level", "type", "recorded_type", "mean", "min", "max", "std",
                     "count", "pass_rate", "weight", "norm_weight", "hist", "children"]


def _threshold(value) -> float:
    try:
        th = float(PASS_THRESHOLD if value is None or value == "" else value)
    except (TypeError, ValueError):
        raise QueryError(f"threshold must be a number, got {value!r}.") from None
    if not math.isfinite(th):
        raise QueryError("threshold must be finite.")
    return th


def base_table(ctx: AnalyticContext, filters: dict | None) -> ibis.Table:
    """The long scores table with ``filters`` applied (the full view if a filter needs it)."""
    t = ctx.table("scores")
    if not split_filters(filters, set(t.columns)):
        t = ctx.table("full")
    return apply_filters(t, filters)


def split_experiment_filter(filters: dict | None, columns) -> tuple[dict, list[str] | None]:
    """Separate the experiment filter (applied after the scan) from the others (in SQL)."""
    filters = dict(filters or {})
    if EXPERIMENT_COLUMN not in columns or EXPERIMENT_COLUMN not in filters:
        return filters, None
    value = filters.pop(EXPERIMENT_COLUMN)
    if value is None or value == "" or value == []:
        return filters, None
    if isinstance(value, (list, tuple, set)):
        return filters, [str(v) for v in value]
    return filters, [str(value)]


def scored_rows(ctx: AnalyticContext, filters: dict | None) -> ibis.Table:
    """The filtered rows with a metric name; a clear error without metric columns."""
    t = base_table(ctx, filters)
    for col in ("metric_name", "metric_score"):
        if col not in t.columns:
            raise QueryError(f"the scorecard needs a {col} column (evaluation results in tree or "
                             "flat format).")
    return t.filter(t.metric_name.notnull())


def partials_expr(ctx: AnalyticContext, filters: dict | None = None, threshold=None,
                  by_experiment: bool = True) -> ibis.Table:
    """The Ibis expression behind :func:`node_partials` (one aggregation)."""
    th = _threshold(threshold)
    t = scored_rows(ctx, filters)
    keys = ["metric_name"]
    if by_experiment and EXPERIMENT_COLUMN in t.columns:
        keys = [EXPERIMENT_COLUMN, "metric_name"]
    s = t.metric_score.cast("float64")
    raw_bin = (s * BINS).floor().cast("int64")
    b = ibis.greatest(ibis.least(raw_bin, BINS - 1), 0)
    aggs: dict[str, Any] = {
        "n": s.count(), "total": s.sum(), "sumsq": (s * s).sum(), "min": s.min(), "max": s.max(),
        "passes": ibis.ifelse(s >= th, 1, 0).sum(),  # portable (PG cannot cast bool to bigint)
    }
    for i in range(BINS):
        # GREATEST/LEAST skip NULLs in DuckDB, so null scores need their own guard
        aggs[f"h{i}"] = ibis.ifelse((b == i) & s.notnull(), 1, 0).sum()
    for col in ("parent", "weight", "metric_type"):
        if col in t.columns:
            aggs[col] = t[col].arbitrary()
    return t.group_by(keys).aggregate(**aggs)


def node_partials(ctx: AnalyticContext, filters: dict | None = None, threshold=None,
                  by_experiment: bool = True, expr: ibis.Table | None = None) -> pd.DataFrame:
    """One aggregation: [evaluation_name], metric_name, parent, weight, metric_type, n, total,
    sumsq, min, max, passes, h0..h4 (per experiment when ``by_experiment`` and the dataset
    has experiments). Rows whose metric_name is null are ignored; null scores are not
    counted (a node with only null scores has n = 0). ``expr``: a prebuilt
    :func:`partials_expr` for the same arguments (callers may cache it)."""
    if expr is None:
        expr = partials_expr(ctx, filters, threshold, by_experiment)
    df = ctx.execute(expr)
    for col in ("parent", "weight", "metric_type"):
        if col not in df.columns:
            df[col] = None
    if EXPERIMENT_COLUMN not in df.columns:
        df[EXPERIMENT_COLUMN] = None
    for col in ["n", "passes", *[f"h{i}" for i in range(BINS)]]:
        df[col] = df[col].fillna(0).astype("int64")
    return df


def binned_expr(ctx: AnalyticContext, filters: dict | None = None, threshold=None) -> ibis.Table:
    """The fast form of :func:`partials_expr`: grouped by [experiment], metric_name and the
    histogram bin, with six numeric aggregates and no per-node attributes (string
    ``arbitrary()`` aggregates cost more than the whole scan). Merge with
    :func:`merge_binned` and the attributes from :func:`node_meta_expr`."""
    th = _threshold(threshold)
    t = scored_rows(ctx, filters)
    keys = [EXPERIMENT_COLUMN, "metric_name"] if EXPERIMENT_COLUMN in t.columns else ["metric_name"]
    s = t.metric_score.cast("float64")
    b = ibis.greatest(ibis.least((s * BINS).floor().cast("int64"), BINS - 1), 0)
    return t.mutate(_bin=b).group_by([*keys, "_bin"]).aggregate(
        n=s.count(), total=s.sum(), sumsq=(s * s).sum(), min=s.min(), max=s.max(),
        passes=ibis.ifelse(s >= th, 1, 0).sum())


def node_meta_expr(ctx: AnalyticContext) -> ibis.Table:
    """metric_name, parent, weight, metric_type: one row per node of the dataset (these are
    properties of a metric, so callers may cache them per dataset version)."""
    t = ctx.table("scores")
    t = t.filter(t.metric_name.notnull())
    # min, not arbitrary: PostgreSQL has no FIRST, and the summaries' node table agrees
    aggs = {c: t[c].min() for c in ("parent", "weight", "metric_type") if c in t.columns}
    if not aggs:
        return t.select("metric_name").distinct()
    return t.group_by("metric_name").aggregate(**aggs)


def merge_binned(rows: list[dict], meta: list[dict]) -> list[dict]:
    """Rows of :func:`binned_expr` (+ node attributes) -> the records of
    :func:`node_partials`. A null score's bin is meaningless (GREATEST/LEAST skip NULLs in
    DuckDB) but it adds nothing: bins count ``n``, the non-null scores."""
    attrs = {str(m["metric_name"]): m for m in meta}
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r.get(EXPERIMENT_COLUMN), r["metric_name"])
        a = out.get(key)
        if a is None:
            m = attrs.get(str(r["metric_name"]), {})
            a = out[key] = {EXPERIMENT_COLUMN: r.get(EXPERIMENT_COLUMN), "metric_name": r["metric_name"],
                            "parent": m.get("parent"), "weight": m.get("weight"),
                            "metric_type": m.get("metric_type"), "n": 0, "total": 0.0, "sumsq": 0.0,
                            "min": None, "max": None, "passes": 0,
                            **{f"h{i}": 0 for i in range(BINS)}}
        n = int(r["n"] or 0)
        if not n:
            continue
        a["n"] += n
        a["total"] += float(r["total"])
        a["sumsq"] += float(r["sumsq"])
        a["min"] = r["min"] if a["min"] is None else min(a["min"], r["min"])
        a["max"] = r["max"] if a["max"] is None else max(a["max"], r["max"])
        a["passes"] += int(r["passes"] or 0)
        a[f"h{int(r['_bin'])}"] += n
    return list(out.values())


def clean_partials(rows: list[dict]) -> list[dict]:
    """Fill the defaults :func:`node_partials` fills, on plain records (the fast path the
    view uses: DuckDB rows straight to dicts, no DataFrame)."""
    ints = ["n", "passes", *[f"h{i}" for i in range(BINS)]]
    for r in rows:
        for col in ("parent", "weight", "metric_type", EXPERIMENT_COLUMN):
            r.setdefault(col, None)
        for col in ints:
            r[col] = int(r[col] or 0)
    return rows


def case_count_expr(ctx: AnalyticContext, filters: dict | None = None) -> ibis.Table:
    t = base_table(ctx, filters)
    if "dataset_id" in t.columns:
        return t.aggregate(n=t.dataset_id.nunique())
    return t.aggregate(n=t.count())


def case_count(ctx: AnalyticContext, filters: dict | None = None, expr: ibis.Table | None = None) -> int:
    """Test cases: distinct ``dataset_id`` among the filtered rows (rows when no ids)."""
    if expr is None:
        expr = case_count_expr(ctx, filters)
    return int(ctx.execute(expr)["n"].iloc[0] or 0)


def _num(v) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def records(df) -> list[dict]:
    """Rows of a DataFrame as dicts (lists pass through)."""
    return df if isinstance(df, list) else df.to_dict("records")


def combine(partials, experiments: list[str] | None = None) -> list[dict]:
    """Per-node stats over the selected experiments (``partials``: a DataFrame or its
    records): metric_name, parent, weight, metric_type, count, mean, std, min, max,
    pass_rate, hist (list of 5 counts)."""
    wanted = None if experiments is None else {str(e) for e in experiments}
    acc: dict[str, dict] = {}
    for r in records(partials):
        if wanted is not None and str(r.get(EXPERIMENT_COLUMN)) not in wanted:
            continue
        name = str(r["metric_name"])
        a = acc.get(name)
        if a is None:
            a = acc[name] = {"metric_name": name, "parent": None, "weight": None, "metric_type": None,
                             "n": 0, "total": 0.0, "sumsq": 0.0, "min": None, "max": None,
                             "passes": 0, "hist": [0] * BINS}
        for col in ("parent", "metric_type"):
            if a[col] is None and _present(r.get(col)):
                a[col] = str(r[col])
        if a["weight"] is None:
            a["weight"] = _num(r.get("weight"))
        n = int(r["n"])
        if n:
            a["n"] += n
            a["total"] += float(r["total"])
            a["sumsq"] += float(r["sumsq"])
            lo, hi = _num(r["min"]), _num(r["max"])
            a["min"] = lo if a["min"] is None else min(a["min"], lo)
            a["max"] = hi if a["max"] is None else max(a["max"], hi)
            a["passes"] += int(r["passes"])
            for i in range(BINS):
                a["hist"][i] += int(r[f"h{i}"])
    rows = []
    for name in sorted(acc):
        a = acc[name]
        n = a["n"]
        std = None
        if n > 1:
            std = math.sqrt(max((a["sumsq"] - a["total"] * a["total"] / n) / (n - 1), 0.0))
        rows.append({"metric_name": name, "parent": a["parent"], "weight": a["weight"],
                     "metric_type": a["metric_type"], "count": n,
                     "mean": a["total"] / n if n else None, "std": std,
                     "min": a["min"], "max": a["max"],
                     "pass_rate": a["passes"] / n if n else None, "hist": a["hist"]})
    return rows


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""


def normalise_type(recorded: str | None) -> str | None:
    """Map a recorded metric_type to category / component / sub-component / metric."""
    if not _present(recorded):
        return None
    t = str(recorded).strip().lower().replace("_", "-").replace(" ", "-")
    if "category" in t or t == "root":
        return "category"
    if "sub-component" in t or "subcomponent" in t:
        return "sub-component"
    if "component" in t:
        return "component"
    if "metric" in t or "leaf" in t:
        return "metric"
    return None


def build_hierarchy(stats) -> list[dict]:
    """Rows in display order (depth-first; siblings by weight desc, then name) with name,
    parent (None for roots), level (root = 1), type, recorded_type, mean, min, max, std,
    count, pass_rate, weight (raw, default 1), norm_weight (weight / sum of sibling weights,
    equal shares when that sum is 0), hist and children (names)."""
    nodes: dict[str, dict] = {}
    for r in records(stats):
        w = _num(r.get("weight"))
        nodes[str(r["metric_name"])] = {
            "name": str(r["metric_name"]),
            "parent": str(r["parent"]) if _present(r.get("parent")) else None,
            "recorded_type": str(r["metric_type"]) if _present(r.get("metric_type")) else None,
            "mean": _num(r.get("mean")), "min": _num(r.get("min")), "max": _num(r.get("max")),
            "std": _num(r.get("std")), "count": int(r.get("count") or 0),
            "pass_rate": _num(r.get("pass_rate")),
            "weight": 1.0 if w is None else w, "hist": list(r.get("hist") or [0] * BINS),
        }
    # 2. link to parents; a missing parent (or a self-reference) makes a root
    for n in nodes.values():
        if n["parent"] not in nodes or n["parent"] == n["name"]:
            n["parent"] = None
    # break cycles: walk up; a node that reaches itself becomes a root
    for n in nodes.values():
        seen = {n["name"]}
        p = n["parent"]
        while p is not None:
            if p in seen:
                n["parent"] = None
                break
            seen.add(p)
            p = nodes[p]["parent"]
    children: dict[str | None, list[str]] = {}
    for n in nodes.values():
        children.setdefault(n["parent"], []).append(n["name"])

    def order(names: list[str]) -> list[str]:
        return sorted(names, key=lambda k: (-nodes[k]["weight"], k))

    out: list[dict] = []

    def visit(name: str, level: int, siblings: list[str]) -> None:
        n = nodes[name]
        total = sum(nodes[s]["weight"] for s in siblings)
        n["norm_weight"] = n["weight"] / total if total else 1.0 / len(siblings)
        n["level"] = level
        n["children"] = order(children.get(name, []))
        inferred = None
        if n["children"]:
            inferred = {1: "category", 2: "component"}.get(level, "sub-component")
        else:
            inferred = "metric"
        n["type"] = normalise_type(n["recorded_type"]) or inferred
        out.append(n)
        for c in n["children"]:
            visit(c, level + 1, n["children"])

    roots = order(children.get(None, []))
    for r in roots:
        visit(r, 1, roots)
    return [{k: n[k] for k in HIERARCHY_COLUMNS} for n in out]


def overall_score(rows: list[dict]) -> float | None:
    """Weighted mean of the root nodes' means (sibling-normalised weights)."""
    roots = [r for r in rows if r["level"] == 1 and r["mean"] is not None]
    wsum = sum(r["norm_weight"] for r in roots)
    if not roots:
        return None
    if wsum <= 0:
        return sum(r["mean"] for r in roots) / len(roots)
    return sum(r["norm_weight"] * r["mean"] for r in roots) / wsum


def kpis(rows: list[dict], cases: int) -> dict:
    means = [r["mean"] for r in rows if r["mean"] is not None]
    spread = None  # the (population) standard deviation of the metric means: not a variance
    if means:
        mu = sum(means) / len(means)
        spread = math.sqrt(sum((m - mu) ** 2 for m in means) / len(means))

    def kind(r):
        return normalise_type(r["recorded_type"]) if r["recorded_type"] else r["type"]

    return {
        "overall_score": overall_score(rows),
        "score_std": spread,
        "test_cases": int(cases),
        "metrics": sum(1 for r in rows if kind(r) == "metric"),
        "components": sum(1 for r in rows if kind(r) == "component"),
        "nodes": len(rows),
    }


def tree(rows: list[dict], score_key: str = "mean") -> dict | None:
    """Nested {name, score, type, weight, norm_weight, count, children} for the tidy tree.
    Several roots get a synthetic "Overall" root whose score is the plain mean of theirs."""
    by_name = {r["name"]: r for r in rows}

    def node(name: str) -> dict:
        r = by_name[name]
        d = {"name": name, "score": r.get(score_key), "type": r["type"], "weight": r["weight"],
             "norm_weight": r["norm_weight"], "count": r.get("count"),
             "children": [node(c) for c in r["children"]]}
        for extra in ("explanation", "signals", "critique"):
            if extra in r:
                d[extra] = r[extra]
        return d

    roots = [r["name"] for r in rows if r["level"] == 1]
    if not roots:
        return None
    if len(roots) == 1:
        return node(roots[0])
    kids = [node(r) for r in roots]
    scores = [k["score"] for k in kids if k["score"] is not None]
    return {"name": "Overall", "score": sum(scores) / len(scores) if scores else None,
            "type": "overall", "weight": None, "norm_weight": None, "count": None,
            "synthetic": True, "children": kids}


def planned_partials(ctx: AnalyticContext, filters: dict | None, threshold: float,
                     exact: bool = False) -> list[dict]:
    """The records of :func:`node_partials` through the planner: from the dataset's summaries
    when they answer ``filters`` and ``threshold`` (and ``exact`` is false), else from
    :func:`binned_expr` over the raw table (``ctx.paths`` says which)."""
    rows = ctx.answer("scorecard_binned", lambda: ctx.records(binned_expr(ctx, filters, threshold)),
                      exact=exact, filters=filters, threshold=threshold)
    meta = ctx.answer("node_meta", lambda: ctx.records(node_meta_expr(ctx)), exact=exact)
    return clean_partials(merge_binned(rows, meta))


def scorecard(ctx: AnalyticContext, filters: dict | None = None, threshold=None,
              exact: bool = False) -> pd.DataFrame:
    """The hierarchical scorecard: name, parent, level, type, mean, min, max, std, count,
    pass_rate, weight, norm_weight, h0..h4 (histogram counts over [0, 1]) in display order.
    Answered from the dataset's summaries when they cover ``filters`` (``exact=True``: always
    from the raw rows); both give the same numbers."""
    partials = planned_partials(ctx, filters, _threshold(threshold), exact)
    rows = build_hierarchy(combine(partials))
    df = pd.DataFrame(rows, columns=HIERARCHY_COLUMNS)
    hist = pd.DataFrame([r["hist"] for r in rows] or None, columns=[f"h{i}" for i in range(BINS)])
    df = pd.concat([df.drop(columns=["hist", "children", "recorded_type"]), hist], axis=1)
    return df
