"""The planner's answers for the monitor view's trends, latency histogram and alerts.

Each is ``fn(planner, ctx, **request) -> (value, None)`` or ``(None, reason)``, registered in
:data:`ANSWERS` (the planner looks requests up there after its own methods). What they give
is the frame the raw analytic gives (``analytics.monitoring`` / ``analytics.alerts``):

``latency``           (by, filters) latency percentiles, from the day-less sketch or, with a
                      time range, the per-day one (:func:`.binned.quantile_rows`).
``trends``            (unit, metric_category, filters, metrics) per bucket and metric: count
                      and avg exact (avg to summation order), p50/p95/p99 within
                      :data:`.daily.DAY_BOUND`; from the day bins (days and weeks only).
``latency_histogram`` (bins, by, filters) the equal-width histogram on the exact global
                      range; each count within the records of the log-spaced bins crossing
                      its edges (:func:`.binned.crossing`), the total exact.
``score_series``      (unit, filters, metrics, cfg) the alerts' per source, metric and bucket
                      count, avg and pass rate at each source's pass threshold, from the days
                      table (exact; the thresholds must be summarised ones).
``record_series``     (unit, filters) the alerts' per source and bucket record count (exact)
                      and p95 latency (within :data:`.latency.BOUND`, relative), from the
                      per-day latency sketch; datasets with ``has_errors`` read the raw rows,
                      and so does a request whose p95 lies within the bound of ``limit``
                      (the latency alert's), so the alerts are the raw path's.
``class_series``      (filters, unit, metrics, category_source, visible) the alerts' label
                      shares, exactly: an empty frame when the scope holds no CLASSIFICATION
                      rows, else from the label counts per day or per hour (``class_days``,
                      ``class_hours``) for the default labels (``explanation``).
"""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..analytics import sources
from ..analytics.classification import label_grid
from ..analytics.filters import apply_filters
from . import binned
from . import latency as log_bins
from .daily import DAY_BINS, LABEL_SOURCE
from .keys import TIME_FILTERS, TIME_KEY, time_unanswerable

P50_95_99 = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
DAYS_OR_WEEKS = ("D", "W")
CLASS_COLUMNS = ["source_name", "metric_name", "bucket", "category", "count", "total", "share"]


def _timed(filters) -> bool:
    return isinstance(filters, dict) and any(filters.get(k) is not None for k in TIME_FILTERS)


def _same(t):
    return t


KEYS = {"day_bins": "day_bin_keys", "hour_bins": "hour_bin_keys", "lat_days": "lat_day_keys",
        "lat_hours": "lat_hour_keys", "days": "day_keys", "hours": "hour_keys",
        "class_days": "class_days_keys", "class_hours": "class_hours_keys"}


def _bucketed(planner, filters, unit, day_role: str, hour_role: str, by=()):
    """((role, table, its keys), None): the day table ``day_role`` for day or week buckets
    (``unit`` None: any) on day boundaries, else the hour table ``hour_role`` on hour
    boundaries inside its hours (:mod:`.hourly`), the request's filters and groupings among
    its keys; or (None, why)."""
    reasons = []
    if unit not in (None, *DAYS_OR_WEEKS):
        reasons.append("hourly buckets (the day tables have days)")
    elif day_role not in planner.tables:
        reasons.append(f"no {day_role} table")
    else:
        reasons.append(time_unanswerable(filters, "D"))
    if reasons[-1] is not None and hour_role in planner.tables:
        reasons.append(time_unanswerable(filters, "h", planner.hours_from))
        role = hour_role
    else:
        role = day_role
    if reasons[-1] is not None:
        return None, "; ".join(r for r in reasons if r)
    keys = list(planner.day_keys if role == "days" else planner.meta.get(KEYS[role]) or [])
    why = planner.unanswerable(filters, role, keys, by)
    return (None, why) if why else ((role, planner.tables[role], keys), None)


def _category(ctx, keys: list[str], category):
    """(a function narrowing a summary table to ``category`` as
    ``analytics.monitoring._category`` narrows the raw rows (SCORE matches NULL), None) or
    (None, why). A function: the expressions are built once, inside the planner's memo."""
    if not category:
        return _same, None
    c = str(category).upper()
    if "metric_category" not in ctx.table("scores").columns:
        return (_same, None) if c == "SCORE" else (None, f"no metric_category column for {category}")
    if "metric_category" not in keys:
        return None, "metric_category is not a key of this summary"
    if c == "SCORE":
        return (lambda t: t.filter(t.metric_category.isnull() | (t.metric_category == "SCORE"))), None
    return (lambda t: t.filter(t.metric_category == c)), None


def trends(planner, ctx, unit=None, metric_category="SCORE", filters=None, metrics=None):
    if "day_bins" not in planner.tables and "hour_bins" not in planner.tables:
        return None, "no per-day score bins (too many groups, or not monitoring data)"
    found, why = _bucketed(planner, filters, unit, "day_bins", "hour_bins")
    if why:
        return None, why
    role, table, keys = found
    narrow, why = _category(ctx, keys, metric_category)
    if why:
        return None, why

    def make():
        t = narrow(apply_filters(table, filters))
        s = t.filter(t.metric_name.isin(metrics)) if metrics else t
        s = s.mutate(bucket=s[TIME_KEY].truncate(unit))
        return s.group_by(["bucket", "metric_name", s._fbin.name("bin")]).aggregate(
            n=s.n.sum().cast("int64"), total=s.total.sum(), min=s["min"].min(), max=s["max"].max()
        ).order_by(["bucket", "metric_name", "bin"])

    bins = ctx.arrays(planner._memo(("trends", role, unit, metric_category, filters, metrics), make))
    df = binned.quantile_rows(bins, ["bucket", "metric_name"], P50_95_99, binned.centre(DAY_BINS), sums=["total"])
    if len(df) and (df["min"].astype(float).min() < 0 or df["max"].astype(float).max() > 1):
        return None, "scores outside [0, 1] (the fine bins cover [0, 1])"
    n = df["count"].to_numpy(dtype="int64")
    df["count"] = n
    df["avg"] = df["total"].astype(float).to_numpy() / np.maximum(n, 1)
    return df[["bucket", "metric_name", "count", "avg", *P50_95_99]], None


def latency_table(planner, filters, by) -> tuple[Any, str | None]:
    """(the latency sketch that answers ``filters`` grouped by ``by``, None) or (None, why):
    the day-less one without a time range, the per-day or per-hour one with one."""
    if _timed(filters) or "lat" not in planner.tables:
        if "lat_days" not in planner.tables and "lat_hours" not in planner.tables:
            return None, "no per-day latency sketch"
        found, why = _bucketed(planner, filters, None, "lat_days", "lat_hours", by)
        if why:
            return None, why
        t = apply_filters(found[1], filters)
        return t.filter(t._lbin.notnull()), None
    why = planner.unanswerable(filters, "stats", list(planner.meta["latency_keys"] or []), by)
    if why:
        return None, why
    return apply_filters(planner.tables["lat"], filters), None


def _lat_bins(planner, t, filters, by: list[str]):
    """The latency sketch ``t`` re-grouped by ``by`` (or one group, ``_all``) and bin, sorted:
    one expression (memoised) for the percentiles and the histogram, so a payload asking
    both fetches it once (``ctx.arrays``)."""
    keys = by or ["_all"]

    def make():
        s = t.mutate(_all=ibis.literal(0)) if not by else t
        return s.group_by([*keys, s._lbin.name("bin")]).aggregate(
            n=s.n.sum().cast("int64"), total=s.total.sum(), min=s["min"].min(), max=s["max"].max()
        ).order_by([*keys, "bin"])

    return planner._memo(("lat_bins", filters, tuple(by)), make)


def latency(planner, ctx, by=None, filters=None):
    """``analytics.monitoring.latency``'s frame: [by], count, mean, min, max (exact; the mean
    to summation order), p50, p95, p99 (within :data:`.latency.BOUND`, relatively)."""
    if "lat" not in planner.tables and "lat_days" not in planner.tables:
        return None, "no latency sketch (not monitoring data with one latency per record)"
    by = list(by or [])
    t, why = latency_table(planner, filters, by)
    if why:
        return None, why
    keys = by or ["_all"]
    bins = ctx.arrays(_lat_bins(planner, t, filters, by))
    df = binned.quantile_rows(bins, keys, P50_95_99, log_bins.estimate, sums=["total"])
    if (pd.to_numeric(df["min"], errors="coerce") < 0).any():
        return None, "negative latencies (the log-spaced bins cover zero and up)"
    if not by and df.empty:  # no records: one row, as the raw global aggregate
        df = pd.DataFrame({"count": [0], "total": [np.nan], "min": [np.nan], "max": [np.nan],
                           **{q: [np.nan] for q in P50_95_99}})
    n = df["count"].to_numpy(dtype="int64")
    df["count"] = n
    with np.errstate(divide="ignore", invalid="ignore"):
        df["mean"] = np.where(n > 0, df["total"].to_numpy(dtype="float64", na_value=np.nan) / n, np.nan)
    for c in ("min", "max"):
        df[c] = df[c].to_numpy(dtype="float64", na_value=np.nan)
    return df[[*by, "count", "mean", "min", "max", *P50_95_99]].reset_index(drop=True), None


def latency_histogram(planner, ctx, bins=20, by=(), filters=None):
    by = list(by or [])
    t, why = latency_table(planner, filters, by)
    if why:
        return None, why

    df = binned.frame(ctx.arrays(_lat_bins(planner, t, filters, by)))
    cols = ["group"] if by else []
    if df.empty:
        return pd.DataFrame(columns=[*cols, "bin", "bin_start", "bin_end", "count"]), None
    if df["min"].astype(float).min() < 0:
        return None, "negative latencies (the log-spaced bins cover zero and up)"
    lo, hi = float(df["min"].min()), float(df["max"].max())
    hi = hi if hi > lo else lo + 1.0  # one value: a unit-wide range, as the raw path
    groups = sorted(df[by[0]].dropna().unique().tolist(), key=str) if by else [None]
    parts = []
    for g in groups:
        rows = df[df[by[0]] == g] if by else df
        edges, counts = binned.histogram(rows, bins, lo, hi)
        part = pd.DataFrame({"bin": np.arange(bins), "bin_start": edges[:-1], "bin_end": edges[1:],
                             "count": counts})
        if by:
            part.insert(0, "group", g)
        parts.append(part)
    return pd.concat(parts, ignore_index=True), None


def score_series(planner, ctx, unit=None, filters=None, metrics=None, cfg=None):
    found, why = _bucketed(planner, filters, unit, "days", "hours")
    if why:
        return None, why
    role, table, keys = found
    if "source_name" in ctx.table("scores").columns and "source_name" not in keys:
        return None, f"source_name is not a key of the {role} table"
    per = cfg["thresholds"]["per_source"] or {}
    default = cfg["thresholds"]["default"]["pass"]
    cols = {th: planner._passes(th) for th in {default, *(v["pass"] for v in per.values())}}
    missing = [th for th, c in cols.items() if c is None]
    if missing:
        return None, f"pass threshold {missing[0]} is not summarised"
    narrow, why = _category(ctx, keys, "SCORE")
    if why:
        return None, why

    def make():
        s = sources.visible(narrow(apply_filters(table, filters)), cfg, metrics)
        s = s.filter(s[TIME_KEY].notnull())
        return s.group_by(source_name=sources.source_name(s), metric_name=s.metric_name,
                          bucket=s[TIME_KEY].truncate(unit)).aggregate(
            count=s.n.sum(), total=s.total.sum(), **{c: s[c].sum() for c in sorted(set(cols.values()))}
        ).order_by(["source_name", "metric_name", "bucket"])

    df = ctx.execute(planner._memo(("score_series", role, unit, filters, metrics, cfg), make))
    df = df[df["count"].fillna(0).astype("int64") > 0].reset_index(drop=True)
    n = df["count"].astype("int64").to_numpy()
    passes = np.zeros(len(df))
    names = df["source_name"].to_numpy(dtype=object)
    for th, c in cols.items():
        mine = np.array([per.get(s, {}).get("pass", default) == th for s in names], dtype=bool)
        passes = np.where(mine, df[c].astype(float).to_numpy(), passes)
    out = pd.DataFrame({"source_name": df["source_name"], "metric_name": df["metric_name"],
                        "bucket": df["bucket"], "count": n,
                        "avg": df["total"].astype(float).to_numpy() / np.maximum(n, 1),
                        "pass_rate": passes / np.maximum(n, 1)})
    return out, None


def record_series(planner, ctx, unit=None, filters=None, limit=None):
    cols = set(ctx.table("full").columns)
    if "has_errors" in cols:
        return None, "error rates (has_errors is not summarised)"
    if "lat_days" not in planner.tables and "lat_hours" not in planner.tables:
        return None, "no per-day latency sketch"
    found, why = _bucketed(planner, filters, unit, "lat_days", "lat_hours")
    if why:
        return None, why
    role, table, keys = found
    if "source_name" in cols and "source_name" not in keys:
        return None, f"source_name is not a key of the latency sketch ({role})"
    t = apply_filters(table, filters)

    def make():
        b = t.group_by(source_name=sources.source_name(t), bucket=t[TIME_KEY].truncate(unit),
                       bin=t._lbin).aggregate(n=t.n.sum().cast("int64"), min=t["min"].min(), max=t["max"].max())
        # records without a latency (bin NULL) count as records, not in the percentile
        b = b.mutate(_lat=ibis.ifelse(b.bin.isnull(), 0, b.n), records=b.n)
        return b.order_by(["source_name", "bucket", "bin"])

    bins = ctx.arrays(planner._memo(("record_series", role, unit, filters), make))
    out = binned.quantile_rows(bins, ["source_name", "bucket"], {"p95": 0.95}, log_bins.estimate,
                               n="_lat", sums=["records"])
    if (pd.to_numeric(out["min"], errors="coerce") < 0).any():
        return None, "negative latencies (the log-spaced bins cover zero and up)"
    out["records"] = out["records"].astype("int64")
    out["error_rate"] = np.nan
    if limit is not None:  # the estimate cannot tell which side of the alert's limit it is on
        p = pd.to_numeric(out["p95"], errors="coerce").to_numpy(dtype="float64")
        if np.any(np.abs(p - float(limit)) <= log_bins.BOUND / (1 - log_bins.BOUND) * np.abs(p) * (1 + 1e-9)):
            return None, f"a p95 latency within {log_bins.BOUND:.0%} of the alert limit {limit:g}"
    return out[["source_name", "bucket", "records", "p95", "error_rate"]], None


def class_series(planner, ctx, filters=None, unit="D", metrics=(), category_source=LABEL_SOURCE, visible=()):
    empty = pd.DataFrame(columns=CLASS_COLUMNS)
    if "metric_category" not in ctx.table("full").columns:
        return empty, None
    ours = (category_source or LABEL_SOURCE) == LABEL_SOURCE
    # the label counts, when they answer the scope, say everything (no labels: no rows);
    # else a scope without CLASSIFICATION rows has no series, which the stats can tell
    found, why = _bucketed(planner, filters, unit, "class_days", "class_hours") if ours else (None, None)
    role, keys = planner._stats_for(filters)
    if found is None and "metric_category" in keys and not planner.unanswerable(filters, role, keys):
        t = apply_filters(planner.tables[role], filters)

        def rows():
            c = t.filter(t.metric_category == "CLASSIFICATION")
            return c.aggregate(rows=c["rows"].sum())

        counted = ctx.records(planner._memo(("class_rows", role, filters), rows))
        n = counted[0]["rows"] if counted else None
        if n is None or pd.isna(n) or not int(n):
            return empty, None  # no CLASSIFICATION rows in scope: no series
    if "class_days" not in planner.tables and "class_hours" not in planner.tables:
        return None, "CLASSIFICATION labels are not summarised (none at build, or too many)"
    if not ours:
        return None, f"labels from {category_source} (the summaries count {LABEL_SOURCE})"
    if why:
        return None, why
    role, table, _ = found

    def make():
        s = sources.visible(apply_filters(table, filters), {"visible_metrics": list(visible)}, list(metrics) or None)
        counts = s.group_by(source_name=sources.source_name(s), metric_name=s.metric_name,
                            bucket=s[TIME_KEY].truncate(unit), category=s._cat).aggregate(n=s.n.sum().cast("int64"))
        return label_grid(counts)

    return ctx.execute(planner._memo(("class_series", role, unit, filters, metrics, visible), make)), None


ANSWERS = {"latency": latency, "trends": trends, "latency_histogram": latency_histogram, "score_series": score_series,
           "record_series": record_series, "class_series": class_series}
