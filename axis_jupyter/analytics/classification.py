"""Classification and analysis metrics of monitoring data (reference §1.5, §3.2; UI §1.3).

CLASSIFICATION rows carry a label (in ``explanation`` by default, else ``actual_output``,
else the score); ANALYSIS rows carry free text or JSON ``signals``. Counts and shares are
computed in the engine; only the value counts, one bucketed table or one page of rows comes
back.
"""

from __future__ import annotations

import re

import ibis
import pandas as pd

from ..errors import QueryError
from ..ingest.jsonish import parse_jsonish
from .context import AnalyticContext
from .evals import as_list, scores_table
from .filters import apply_filters
from .monitoring import _category, _unit

CATEGORY_SOURCES = ("explanation", "actual_output", "metric_score")


def category_column(t: ibis.Table, category_source: str | None = "explanation"):
    """The label column as text: ``category_source`` if the table has it, else
    ``actual_output``, else ``metric_score`` (reference §3.2)."""
    source = category_source or "explanation"
    if source not in CATEGORY_SOURCES:
        raise QueryError(f"category_source must be one of {', '.join(CATEGORY_SOURCES)}, got {source!r}.")
    for col in (source, "actual_output", "metric_score"):
        if col in t.columns:
            c = t[col]
            return c if c.type().is_string() else c.cast("string")
    raise QueryError("this dataset has no column holding classification labels "
                     "(explanation, actual_output or metric_score).")


def label_grid(counts: ibis.Table) -> ibis.Table:
    """The alerts' label shares from ``counts`` (source_name, metric_name, bucket, category,
    n): every label of a (source, metric) series in every bucket of that series (0 when
    absent), with the bucket's total and the label's share; sorted by series, label, bucket.
    The raw rows' counts and the summaries' (``summaries.monitor_answers``) both end here."""
    series = ["source_name", "metric_name"]
    grid = counts.select(*series, "bucket").distinct().join(counts.select(*series, "category").distinct(), series)
    g = grid.left_join(counts, [*series, "bucket", "category"])
    g = g.select(*series, "bucket", "category", count=g.n.fill_null(0))
    # the bucket's total by a join, not a window: DuckDB's windows cost ~10 ms per query
    totals = counts.group_by([*series, "bucket"]).aggregate(total=counts.n.sum())
    g = g.join(totals, [*series, "bucket"]).select(*series, "bucket", "category", "count", "total")
    g = g.mutate(share=g["count"] / g.total)
    return g.order_by([*series, "category", "bucket"])


def _class_rows(ctx, filters, metric, category_source, *extra):
    t = scores_table(ctx, filters, *extra)
    source = category_source or "explanation"
    full = ctx.table("full")
    if source not in t.columns and source in full.columns:  # wide layouts keep text in records
        t = apply_filters(full, filters)
    t = _category(t, "CLASSIFICATION")
    metrics = as_list(metric)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    t = t.filter(t.metric_name.notnull())
    t = t.mutate(category=category_column(t, source))
    return t.filter(t.category.notnull())


def classification(ctx: AnalyticContext, metric=None, category_source: str = "explanation",
                   filters=None) -> pd.DataFrame:
    """Value counts of each CLASSIFICATION metric's labels: metric_name, category, count,
    share (fraction of the metric's labelled rows), total. Most frequent first."""
    t = _class_rows(ctx, filters, metric, category_source)
    df = ctx.execute(t.group_by(["metric_name", "category"]).aggregate(count=ibis._.count()))
    if df.empty:
        return pd.DataFrame(columns=["metric_name", "category", "count", "share", "total"])
    df["total"] = df.groupby("metric_name")["count"].transform("sum")
    df["share"] = df["count"] / df["total"]
    df = df.sort_values(["metric_name", "count", "category"], ascending=[True, False, True], ignore_index=True)
    return df[["metric_name", "category", "count", "share", "total"]]


def classification_trends(ctx: AnalyticContext, metric=None, granularity: str = "day",
                          category_source: str = "explanation", filters=None) -> pd.DataFrame:
    """Labels per time bucket (for stacked charts): bucket, metric_name, category, count,
    share (of the bucket's labelled rows of that metric). Every label of a metric appears in
    every bucket (count 0 when absent)."""
    unit = _unit(granularity)
    t = _class_rows(ctx, filters, metric, category_source, "timestamp")
    t = t.filter(t.timestamp.notnull())
    df = ctx.execute(t.group_by(bucket=t.timestamp.truncate(unit), metric_name=t.metric_name,
                                category=t.category).aggregate(count=ibis._.count()))
    cols = ["bucket", "metric_name", "category", "count", "share"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = []
    for met, g in df.groupby("metric_name", sort=True):
        piv = g.pivot_table(index="bucket", columns="category", values="count", aggfunc="sum", fill_value=0)
        total = piv.sum(axis=1)
        long = piv.stack().rename("count").reset_index()
        long["share"] = long["count"] / long["bucket"].map(total)
        long.insert(1, "metric_name", met)
        out.append(long)
    df = pd.concat(out, ignore_index=True)
    df["count"] = df["count"].astype("int64")
    return df.sort_values(["metric_name", "bucket", "category"], ignore_index=True)[cols]


INSIGHT_COLUMNS = ["dataset_id", "trace_id", "timestamp", "metric_name", "metric_score", "query",
                   "actual_output", "explanation", "signals", "environment", "source_name",
                   "source_component"]


def insights(ctx: AnalyticContext, metric=None, page: int = 1, limit: int = 20, search: str | None = None,
             sort_by: str = "timestamp", descending: bool = True, filters=None,
             parse: bool = True) -> pd.DataFrame:
    """One page of ANALYSIS rows, newest first (nulls last): dataset_id, trace_id, timestamp,
    metric_name, metric_score, query, actual_output, explanation, signals (parsed JSON),
    environment, source_name, source_component (those present), total_count (rows matching,
    repeated on each row). ``df.attrs`` holds total_count, page, limit and metric_names."""
    try:
        page, limit = int(page), int(limit)
    except (TypeError, ValueError):
        raise QueryError("page and limit must be integers.") from None
    if page < 1:
        raise QueryError("page must be >= 1.")
    if not 1 <= limit <= 100:
        raise QueryError("limit must be between 1 and 100.")
    t = _category(apply_filters(ctx.table("full"), filters), "ANALYSIS")
    names = ctx.execute(t.select("metric_name").distinct())["metric_name"].dropna()
    metric_names = sorted(str(x) for x in names)
    metrics = as_list(metric)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    if search:
        text = [c for c in ("dataset_id", "trace_id", "query", "actual_output", "explanation", "signals")
                if c in t.columns and t[c].type().is_string()]
        pred = None
        for c in text:
            p = t[c].lower().contains(str(search).lower())
            pred = p if pred is None else pred | p
        if pred is not None:
            t = t.filter(pred)
    if sort_by not in t.columns or sort_by.startswith("_axis"):
        raise QueryError(f"cannot sort by {sort_by!r}: no such column.")
    total = int(ctx.execute(t.aggregate(n=ibis._.count()))["n"].iloc[0])
    keep = [c for c in INSIGHT_COLUMNS if c in t.columns]
    key = t[sort_by]
    order = [key.isnull(), ibis.desc(key) if descending else ibis.asc(key)]
    tie = [c for c in ("dataset_id", "metric_name") if c in t.columns and c != sort_by]
    expr = t.order_by([*order, *tie]).select(*keep).limit(limit, offset=(page - 1) * limit)
    df = ctx.execute(expr)
    if parse and "signals" in df:
        df["signals"] = df["signals"].map(parse_jsonish)
    df["total_count"] = total
    df.attrs.update({"total_count": total, "page": page, "limit": limit, "metric_names": metric_names})
    return df


_STATEMENT = re.compile(r"^statement_(\d+)")


def group_signals(signals) -> list[dict]:
    """Signals as ordered groups for display: ``[{group, items: [{name, value}]}]``.

    Accepts the grouped form ``{"overall": [{"name", "value"}], "statement_0 (...)": [...]}``,
    a flat mapping ``{key: value}`` (one group "signals"), a list (one group "items") or text.
    Groups: "overall" first, then statement_N by N, then the rest alphabetically.
    """
    s = parse_jsonish(signals) if isinstance(signals, str) else signals
    if s is None or (isinstance(s, float) and s != s):
        return []
    if isinstance(s, dict):
        grouped = {k: v for k, v in s.items()
                   if isinstance(v, list) and v and all(isinstance(i, dict) and "name" in i for i in v)}
        flat = {k: v for k, v in s.items() if k not in grouped}
        groups = [{"group": k, "items": [{"name": i["name"], "value": i.get("value", i.get("score"))}
                                         for i in v]} for k, v in grouped.items()]
        if flat:
            groups.append({"group": "signals", "items": [{"name": k, "value": v} for k, v in flat.items()]})

        def rank(g):
            name = g["group"]
            if name == "overall":
                return (0, 0, "")
            m = _STATEMENT.match(name)
            if m:
                return (1, int(m.group(1)), name)
            return (2, 0, name.lower())

        return sorted(groups, key=rank)
    if isinstance(s, list):
        return [{"group": "items", "items": [{"name": str(i), "value": v} for i, v in enumerate(s)]}]
    return [{"group": "text", "items": [{"name": "value", "value": s}]}]
