"""Monitoring analytics (reference §3.2) as Ibis expressions.

Trends, percentiles and pass rates read the long scores table; latency reads one row per
record (the records table of a wide dataset, the record-latency index of a long one, or the
long table de-duplicated by record when a filter needs a per-metric column), so a record
with five metrics counts once. Percentiles are continuous (linear interpolation), as
numpy's default.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..errors import QueryError
from .context import AnalyticContext
from .evals import PCT, _threshold, as_list, bin_parts, percentiles, scores_table, settle_bins, split_percentiles
from .filters import apply_filters, split_filters
from .memo import memo_expr

P50_95_99 = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
GRANULARITY = {"hour": "h", "hourly": "h", "h": "h", "day": "D", "daily": "D", "d": "D",
               "week": "W", "weekly": "W", "w": "W"}


def _unit(granularity: str) -> str:
    try:
        return GRANULARITY[str(granularity).lower()]
    except KeyError:
        raise QueryError(f"granularity must be hour, day or week, got {granularity!r}.") from None


def _category(t: ibis.Table, category: str | None) -> ibis.Table:
    """SCORE also matches NULL categories (reference §3.2)."""
    if not category:
        return t
    category = str(category).upper()
    if "metric_category" not in t.columns:
        return t if category == "SCORE" else t.filter(ibis.literal(False))
    # Ingest stores categories upper-cased with NULL as 'SCORE'; synced tables may not.
    if category == "SCORE":
        return t.filter(t.metric_category.isnull() | (t.metric_category == "SCORE"))
    return t.filter(t.metric_category == category)


def trends(ctx: AnalyticContext, granularity: str = "day", metric_category: str | None = "SCORE",
           filters=None, metrics=None, exact: bool = False) -> pd.DataFrame:
    """Per time bucket and metric: bucket, metric_name, count, avg, p50, p95, p99.
    Rows with a null timestamp or score are left out. Daily and weekly buckets come from
    the dataset's per-day score bins when they cover the request (counts equal, averages to
    rounding, percentiles within 0.0005); ``exact=True`` reads the raw rows."""
    unit, metrics = _unit(granularity), as_list(metrics)
    return ctx.answer("trends", lambda: ctx.execute(_trends_expr(ctx, unit, metric_category, filters, metrics)),
                      exact=exact, unit=unit, metric_category=metric_category, filters=filters,
                      metrics=metrics)


@memo_expr
def _trends_expr(ctx, unit, metric_category, filters, metrics):
    t = _category(scores_table(ctx, filters, "timestamp"), metric_category)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    t = t.filter(t.timestamp.notnull() & t.metric_score.notnull())
    s = t.metric_score
    agg = t.group_by(bucket=t.timestamp.truncate(unit), metric_name=t.metric_name).aggregate(
        count=s.count(), avg=s.mean(), **{PCT: percentiles(s, P50_95_99)})
    return split_percentiles(agg, P50_95_99).order_by(["bucket", "metric_name"])


def records_table(ctx: AnalyticContext, filters, *cols: str) -> ibis.Table:
    """One row per record with its latency and dimensions."""
    need = {c for c in cols if c}
    if ctx.record_level:
        r = ctx.table("records")
        if split_filters(filters, set(r.columns)) and need <= set(r.columns):
            return apply_filters(r, filters)
    if "record_latency" in ctx.tables:  # long layouts: the index built at load (one row per id)
        r = ctx.table("record_latency")
        if split_filters(filters, set(r.columns)) and need <= set(r.columns):
            return apply_filters(r, filters)
    t = scores_table(ctx, filters, *need)
    if "latency" not in t.columns:
        raise QueryError("this dataset has no latency column.")
    key = [c for c in ("_axis_rid", "dataset_id", "trace_id") if c in t.columns][:1]
    if not key:
        raise QueryError("latency needs a record id (dataset_id or trace_id) to count each record once.")
    dims = [c for c in need if c not in key and c != "latency"]
    return t.group_by([*key, *dims]).aggregate(latency=t.latency.max())


def latency(ctx: AnalyticContext, by=None, filters=None, exact: bool = False) -> pd.DataFrame:
    """Latency percentiles, each record once: [by...], count, mean, min, max, p50, p95, p99.
    From the dataset's latency sketch when it covers the request (percentiles then within
    1% of the raw ones, relatively; the rest equal); ``exact=True`` reads the raw rows."""
    by = as_list(by)
    return ctx.answer("latency", lambda: ctx.execute(_latency_expr(ctx, by, filters)), exact=exact,
                      by=by, filters=filters)


@memo_expr
def _latency_expr(ctx, by, filters):
    r = records_table(ctx, filters, "latency", *by)
    if "latency" not in r.columns:
        raise QueryError("this dataset has no latency column.")
    r = r.filter(r.latency.notnull())
    x = r.latency
    aggs = {"count": x.count(), "mean": x.mean(), "min": x.min(), "max": x.max(),
            PCT: percentiles(x, P50_95_99)}
    out = split_percentiles(r.group_by(by).aggregate(**aggs) if by else r.aggregate(**aggs), P50_95_99)
    return out.order_by(by) if by else out


def latency_histogram(ctx: AnalyticContext, bins: int = 20, by=None, filters=None,
                      exact: bool = False) -> pd.DataFrame:
    """Equal-width latency histogram on global edges (shared by every group):
    [group], bin, bin_start, bin_end, count. Bins 5-100 as in the reference. From the
    dataset's log-spaced latency bins when they cover the request (the same edges and
    total; a count differs from the raw one by at most the records within 2% of its edges);
    ``exact=True`` reads the raw rows."""
    try:
        bins = int(bins)
    except (TypeError, ValueError):
        raise QueryError(f"bins must be an integer, got {bins!r}.") from None
    if not 5 <= bins <= 100:
        raise QueryError("bins must be between 5 and 100.")
    by = as_list(by)
    if len(by) > 1:
        raise QueryError("latency_histogram groups by at most one column.")
    return ctx.answer("latency_histogram", lambda: _raw_histogram(ctx, bins, by, filters), exact=exact,
                      bins=bins, by=by, filters=filters)


def _raw_histogram(ctx, bins: int, by: list, filters) -> pd.DataFrame:
    df = settle_bins(ctx.execute(_histogram_expr(ctx, bins, by, filters)), [*by, "lo", "hi"])
    cols = ["group"] if by else []
    if df.empty:
        return pd.DataFrame(columns=[*cols, "bin", "bin_start", "bin_end", "count"])
    lo, hi = float(df["lo"].iloc[0]), float(df["hi"].iloc[0])
    edges = np.linspace(lo, hi, bins + 1)
    groups = sorted(df[by[0]].dropna().unique().tolist(), key=str) if by else [None]
    binned, counted = df["bin"].to_numpy(dtype="int64"), df["count"].to_numpy(dtype="int64")
    keys = df[by[0]].to_numpy(dtype=object) if by else None
    counts = np.zeros((len(groups), bins), dtype="int64")
    for gi, g in enumerate(groups):
        rows = keys == g if by else slice(None)
        counts[gi, binned[rows]] = counted[rows]
    out = pd.DataFrame({"bin": np.tile(np.arange(bins), len(groups)),
                        "bin_start": np.tile(edges[:-1], len(groups)),
                        "bin_end": np.tile(edges[1:], len(groups)), "count": counts.ravel()})
    if by:
        out.insert(0, "group", np.repeat(np.array(groups, dtype=object), bins))
    return out


@memo_expr
def _histogram_expr(ctx, bins, by, filters):
    r = records_table(ctx, filters, "latency", *by)
    r = r.filter(r.latency.notnull()).select("latency", *by)
    # One query: the global range joined to every row (a whole-table window instead is 30%
    # slower on a stored table and 20% faster when records are de-duplicated on the fly).
    lim = r.aggregate(lo=r.latency.min(), hi=r.latency.max())
    lim = lim.mutate(hi=ibis.ifelse(lim.hi > lim.lo, lim.hi, lim.lo + 1.0))  # one value: unit-wide
    r = r.cross_join(lim)
    parts = bin_parts(r.latency, r.lo, r.hi, bins)
    return r.group_by([*by, "lo", "hi", parts.pop("raw").name("raw")]).aggregate(**parts)


def pass_rates(ctx: AnalyticContext, threshold: float | None = None, by=None, filters=None,
               metric_category: str | None = "SCORE", exact: bool = False) -> pd.DataFrame:
    """Per metric: metric_name, [by...], count, pass_rate (fraction >= threshold), avg.
    From the dataset's summaries when they cover the request (the same counts and rates;
    averages to rounding); ``exact=True`` reads the raw rows."""
    by = as_list(by)
    th = _threshold(threshold)
    return ctx.answer("pass_rates", lambda: ctx.execute(_pass_rates_expr(ctx, th, by, filters, metric_category)),
                      exact=exact, threshold=th, by=by, filters=filters, metric_category=metric_category)


@memo_expr
def _pass_rates_expr(ctx, th, by, filters, metric_category):
    t = _category(scores_table(ctx, filters, *by), metric_category)
    t = t.filter(t.metric_name.notnull())
    s = t.metric_score
    return t.group_by(["metric_name", *by]).aggregate(
        count=s.count(), pass_rate=(s >= th).mean(), avg=s.mean()).select(
        "metric_name", *by, "count", "pass_rate", "avg").order_by(["metric_name", *by])
