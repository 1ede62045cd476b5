"""Evaluation analytics (reference §3.1) as Ibis expressions over the long scores table.

Every function takes an :class:`AnalyticContext` and keyword parameters, and returns a pandas
DataFrame with the columns named in its docstring. Pass rates are fractions in 0-1.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..config import PASS_THRESHOLD
from ..errors import QueryError
from .context import AnalyticContext
from .filters import apply_filters, split_filters


def as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def scores_table(ctx: AnalyticContext, filters: dict | None, *extra_cols: str) -> ibis.Table:
    """The long scores table, or the full view when a filter or column needs record columns."""
    t = ctx.table("scores")
    need = set(extra_cols) - {None}
    if not split_filters(filters, set(t.columns)) or not need <= set(t.columns):
        t = ctx.table("full")
    for col in need:
        if col not in t.columns:
            raise QueryError(f"unknown column {col!r} (columns: {', '.join(sorted(t.columns)[:20])}).")
    return apply_filters(t, filters)


def _threshold(value) -> float:
    try:
        th = float(PASS_THRESHOLD if value is None else value)
    except (TypeError, ValueError):
        raise QueryError(f"threshold must be a number, got {value!r}.") from None
    if not np.isfinite(th):
        raise QueryError("threshold must be finite.")
    return th


PCT = "_axis_pct"  # the column holding a percentiles() result until split_percentiles()


def percentiles(x, qs: dict[str, float]):
    """One aggregate for several continuous quantiles of ``x``: DuckDB's list form of
    ``quantile_cont`` (PostgreSQL: ``percentile_cont(ARRAY[...])``) sorts each group once,
    where one aggregate per quantile sorts it once each (p50/p95/p99 over 10 M rows: 0.36 s
    against 0.62 s). Name it ``PCT`` in the aggregate and call :func:`split_percentiles`."""
    return x.quantile(list(qs.values()))


def split_percentiles(t: ibis.Table, qs: dict[str, float]) -> ibis.Table:
    """The aggregated table ``t`` with its ``PCT`` list column split into one column per
    quantile name, in SQL (splitting the fetched lists in pandas cost ~1.5 ms a frame)."""
    return t.mutate(**{name: t[PCT][i] for i, name in enumerate(qs)}).drop(PCT)


def bin_parts(v, lo, hi, bins: int) -> dict:
    """Aggregates for an equal-width histogram of ``v`` over [lo, hi] that is exactly
    ``numpy.histogram``'s, to group by ``raw`` and finish with :func:`settle_bins`.

    numpy scales by ``bins / (hi - lo)`` (the *raw* bin, clamped), then moves a value one bin
    down if floating point put it below its bin's edge (edges are ``lo + i * step``), else one
    bin up if it is at or past the next edge (the last bin includes ``hi``). Both moves are
    decided from the raw bin, so grouping by it and counting the two cases (``dec``, ``inc``)
    gives the exact counts from a flat query. Spelling the corrected bin out per row nests
    the expression eight levels deep: a 15 KB query that took 25-30 ms to compile.
    ``lo``/``hi`` may be Ibis expressions (per-group ranges) or Python floats.
    """
    span = hi - lo
    step = span / bins
    raw = ((v - lo) * (bins / span)).floor().cast("int64")
    raw = ibis.ifelse(raw >= bins, bins - 1, ibis.ifelse(raw < 0, 0, raw))
    dec = v < raw * step + lo
    inc = ~dec & (v >= (raw + 1) * step + lo) & (raw != bins - 1)
    return {"raw": raw, "n": ibis.ifelse(v.notnull(), 1, 0).sum(), "dec": ibis.ifelse(dec, 1, 0).sum(),
            "inc": ibis.ifelse(inc, 1, 0).sum()}


def settle_bins(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``keys`` + raw, n, dec, inc (see :func:`bin_parts`) -> keys + bin, count
    (bins with a count only)."""
    # A plain loop: the frame has one row per (group, bin), and pandas' concat/groupby
    # machinery cost 15 ms here, more than the loop over a few thousand rows.
    acc: dict[tuple, int] = {}
    cols = [df[k].tolist() for k in keys]
    for i, (raw, n, dec, inc) in enumerate(zip(df["raw"].tolist(), df["n"].tolist(),
                                               df["dec"].tolist(), df["inc"].tolist())):
        key = tuple(c[i] for c in cols)
        for b, c in ((raw, n - dec - inc), (raw - 1, dec), (raw + 1, inc)):
            if c:
                acc[(*key, int(b))] = acc.get((*key, int(b)), 0) + int(c)
    rows = sorted(acc.items(), key=lambda kv: tuple(str(x) for x in kv[0][:-1]) + (kv[0][-1],))
    out = {k: [r[0][i] for r in rows] for i, k in enumerate(keys)}  # column by column: a
    out["bin"] = np.array([r[0][-1] for r in rows], dtype="int64")  # row-wise frame cost 2 ms
    out["count"] = np.array([r[1] for r in rows], dtype="int64")
    return pd.DataFrame(out)


def summary(ctx: AnalyticContext, threshold: float | None = None, by=None, filters: dict | None = None,
            metrics=None) -> pd.DataFrame:
    """Per metric (and per ``by`` group): metric_name, [by...], count, mean, std, min, max, pass_rate.

    ``std`` is the sample standard deviation; ``pass_rate`` the share of non-null scores
    >= ``threshold`` (default 0.5); ``count`` the number of non-null scores.
    """
    by = as_list(by)
    th = _threshold(threshold)
    t = scores_table(ctx, filters, *by)
    metrics = as_list(metrics)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    # Metrics without numeric scores (CLASSIFICATION / ANALYSIS rows) have nothing to summarise.
    t = t.filter(t.metric_name.notnull() & t.metric_score.notnull())
    s = t.metric_score
    expr = t.group_by([*by, "metric_name"]).aggregate(
        count=s.count(), mean=s.mean(), std=s.std(how="sample"), min=s.min(), max=s.max(),
        pass_rate=(s >= th).mean(),
    ).order_by([*by, "metric_name"])
    df = ctx.execute(expr)
    return df[["metric_name", *by, "count", "mean", "std", "min", "max", "pass_rate"]]


def comparison(ctx: AnalyticContext, by="evaluation_name", filters=None, metrics=None,
               threshold=None) -> pd.DataFrame:
    """Group comparison: group, metric_name, count, mean, std, min, max, pass_rate."""
    by = as_list(by) or ["evaluation_name"]
    if len(by) != 1:
        raise QueryError("comparison groups by exactly one column.")
    df = summary(ctx, threshold=threshold, by=by, filters=filters, metrics=metrics)
    return df.rename(columns={by[0]: "group"})[
        ["group", "metric_name", "count", "mean", "std", "min", "max", "pass_rate"]]


def distribution(ctx: AnalyticContext, metric=None, bins: int = 20, filters=None) -> pd.DataFrame:
    """Equal-width histogram per metric over its own [min, max] (numpy semantics: the last
    bin includes max): metric_name, bin, bin_start, bin_end, count."""
    try:
        bins = int(bins)
    except (TypeError, ValueError):
        raise QueryError(f"bins must be an integer, got {bins!r}.") from None
    if not 1 <= bins <= 1000:
        raise QueryError("bins must be between 1 and 1000.")
    t = scores_table(ctx, filters)
    metrics = as_list(metric)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    t = t.filter(t.metric_score.notnull() & t.metric_name.notnull())
    rng = t.group_by("metric_name").aggregate(lo=t.metric_score.min(), hi=t.metric_score.max())
    # One value everywhere: a unit-wide range, like the reference (numpy uses +-0.5).
    rng = rng.mutate(hi=ibis.ifelse(rng.hi > rng.lo, rng.hi, rng.lo + 1.0))
    j = t.join(rng, "metric_name")
    parts = bin_parts(j.metric_score, j.lo, j.hi, bins)
    expr = j.group_by(["metric_name", "lo", "hi", parts.pop("raw").name("raw")]).aggregate(**parts)
    df = settle_bins(ctx.execute(expr), ["metric_name", "lo", "hi"])
    out = []
    for name, g in df.groupby("metric_name", sort=True):
        lo, hi = float(g["lo"].iloc[0]), float(g["hi"].iloc[0])
        edges = np.linspace(lo, hi, bins + 1)
        counts = np.zeros(bins, dtype="int64")
        counts[g["bin"].to_numpy(dtype="int64")] = g["count"].to_numpy(dtype="int64")
        out.append(pd.DataFrame({"metric_name": name, "bin": np.arange(bins), "bin_start": edges[:-1],
                                 "bin_end": edges[1:], "count": counts}))
    if not out:
        return pd.DataFrame(columns=["metric_name", "bin", "bin_start", "bin_end", "count"])
    return pd.concat(out, ignore_index=True)


def quantiles(ctx: AnalyticContext, metric=None, filters=None, by=None, exact: bool = False) -> pd.DataFrame:
    """Continuous (linear) quantiles per metric: metric_name, [by], count, mean, std, min, q25,
    median, q75, max. From the dataset's summaries when they cover the request (quartiles
    then within 0.0005 of the raw ones, the rest equal); ``exact=True`` reads the raw rows."""
    return ctx.answer("quantiles", lambda: _raw_quantiles(ctx, metric, filters, by), exact=exact,
                      metric=metric, filters=filters, by=by)


def _raw_quantiles(ctx: AnalyticContext, metric, filters, by) -> pd.DataFrame:
    by = as_list(by)
    t = scores_table(ctx, filters, *by)
    metrics = as_list(metric)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    t = t.filter(t.metric_name.notnull())
    s = t.metric_score
    qs = {"q25": 0.25, "median": 0.5, "q75": 0.75}
    agg = t.group_by([*by, "metric_name"]).aggregate(
        count=s.count(), mean=s.mean(), std=s.std(), min=s.min(), max=s.max(), **{PCT: percentiles(s, qs)})
    expr = split_percentiles(agg, qs).select(
        "metric_name", *by, "count", "mean", "std", "min", "q25", "median", "q75", "max").order_by([*by, "metric_name"])
    return ctx.execute(expr)


def _record_key(t: ibis.Table) -> list[str]:
    if "_axis_rid" in t.columns:
        return ["_axis_rid"]
    key = [c for c in ("dataset_id", "evaluation_name") if c in t.columns]
    if not key:
        raise QueryError("this dataset has no dataset_id column to pair metrics by record.")
    return key


def _pivot(ctx, filters, metrics: list[str], extra: list[str]) -> tuple[ibis.Table, list[str]]:
    t = scores_table(ctx, filters, *extra)
    if not metrics:
        names = ctx.execute(t.select("metric_name").distinct().order_by("metric_name"))
        metrics = [m for m in names["metric_name"].tolist() if m is not None]
    key = _record_key(t)
    keep = list(dict.fromkeys([*key, *[c for c in ("dataset_id",) if c in t.columns], *extra]))
    aggs = {f"m{i}": t.metric_score.mean(where=t.metric_name == m) for i, m in enumerate(metrics)}
    extra_aggs = {c: t[c].arbitrary() for c in keep if c not in key}
    return t.group_by(key).aggregate(**aggs, **extra_aggs), metrics


def correlation(ctx: AnalyticContext, metrics=None, filters=None) -> pd.DataFrame:
    """Pearson r between metrics paired by record (pairwise complete):
    metric_x, metric_y, r, n."""
    metrics = as_list(metrics)
    p, metrics = _pivot(ctx, filters, metrics, [])
    if len(metrics) < 2:
        return pd.DataFrame(columns=["metric_x", "metric_y", "r", "n"])
    if len(metrics) > 40:
        raise QueryError("correlation takes at most 40 metrics; pass metrics=[...].")
    aggs = {}
    for i in range(len(metrics)):
        for j in range(i + 1, len(metrics)):
            a, b = p[f"m{i}"], p[f"m{j}"]
            both = a.notnull() & b.notnull()
            aggs[f"r_{i}_{j}"] = a.corr(b, how="pop")  # r is the same for pop and sample
            aggs[f"n_{i}_{j}"] = ibis.ifelse(both, 1, 0).sum()  # portable: PG cannot cast bool to bigint
    row = ctx.execute(p.aggregate(**aggs)).iloc[0]
    out = []
    for i, mi in enumerate(metrics):
        for j, mj in enumerate(metrics):
            if i == j:
                continue
            a, b = min(i, j), max(i, j)
            r = row[f"r_{a}_{b}"]
            out.append({"metric_x": mi, "metric_y": mj, "r": None if pd.isna(r) else float(r),
                        "n": int(row[f"n_{a}_{b}"] or 0)})
    for m in metrics:
        out.append({"metric_x": m, "metric_y": m, "r": 1.0, "n": None})
    return pd.DataFrame(out).sort_values(["metric_x", "metric_y"], ignore_index=True)


def radar(ctx: AnalyticContext, by=None, metrics=None, filters=None) -> pd.DataFrame:
    """Mean of each metric per group (one polygon per group): group, metric_name, mean."""
    by = as_list(by)
    if len(by) > 1:
        raise QueryError("radar groups by at most one column.")
    t = scores_table(ctx, filters, *by)
    metrics = as_list(metrics)
    if metrics:
        t = t.filter(t.metric_name.isin(metrics))
    t = t.filter(t.metric_name.notnull())
    keys = [*by, "metric_name"]
    df = ctx.execute(t.group_by(keys).aggregate(mean=t.metric_score.mean()).order_by(keys))
    if by:
        df = df.rename(columns={by[0]: "group"})
        df["group"] = df["group"].astype("string")
    else:
        df.insert(0, "group", "Overall")
    return df[["group", "metric_name", "mean"]]


def scatter(ctx: AnalyticContext, x: str, y: str, color_by=None, filters=None,
            limit: int = 5000) -> pd.DataFrame:
    """Per record, the scores of metrics ``x`` and ``y``: dataset_id, x, y[, color].
    At most ``limit`` records (a deterministic sample by record id when there are more)."""
    if not x or not y:
        raise QueryError("scatter needs x and y metric names.")
    extra = [color_by] if color_by else []
    p, _ = _pivot(ctx, filters, [x, y], extra)
    p = p.filter(p.m0.notnull() & p.m1.notnull())
    cols = {"x": p.m0, "y": p.m1}
    if "dataset_id" in p.columns:
        cols["dataset_id"] = p.dataset_id
    if color_by:
        cols["color"] = p[color_by].cast("string")
    key = _record_key(p)
    expr = p.select(**cols, _k=p[key[0]]).order_by("_k").limit(int(limit)).drop("_k")
    return ctx.execute(expr)
