"""Health and the executive hierarchy of monitoring data (reference §3.2, UI §1.3-1.4).

``health``: avg >= good -> healthy, >= pass -> warning, else critical (no scores ->
unknown), with each source's own thresholds. ``hierarchy``: source -> component -> metric
with score, count, delta = mean of the newest 25 % of scores minus the mean of the older
75 % (n >= 4), a daily sparkline and health.
"""

from __future__ import annotations

import math

import ibis
import pandas as pd

from .. import monitoring_config
from ..errors import QueryError
from . import sources
from .context import AnalyticContext
from .evals import scores_table
from .monitoring import _category

LEVELS = {"source": ["source_name"], "component": ["source_name", "source_component"],
          "metric": ["source_name", "source_component", "metric_name"]}


def health_status(avg, good: float, pass_: float) -> str:
    if avg is None or (isinstance(avg, float) and math.isnan(avg)) or pd.isna(avg):
        return "unknown"
    if avg >= good:
        return "healthy"
    if avg >= pass_:
        return "warning"
    return "critical"


def health(ctx: AnalyticContext, level: str = "metric", filters=None, metrics=None,
           config=None) -> pd.DataFrame:
    """Health per source, component or metric: [source_name, source_component,
    metric_name], count, avg, pass_rate, good, pass, health (healthy / warning / critical /
    unknown) from the source's thresholds."""
    if level not in LEVELS:
        raise QueryError(f"level must be source, component or metric, got {level!r}.")
    cfg = sources.resolve(config)
    keys = LEVELS[level]
    t = _category(scores_table(ctx, filters), "SCORE")
    t = sources.visible(t, cfg, metrics)
    t = t.filter(t.metric_name.notnull())
    t = t.mutate(**sources.dims(t), _pass=sources.per_source(t, cfg, "pass"))
    s = t.metric_score
    expr = t.group_by(keys).aggregate(count=s.count(), avg=s.mean(), pass_rate=(s >= t._pass).mean())
    df = ctx.execute(expr)
    th = [monitoring_config.source_thresholds(cfg, s) for s in df["source_name"]]
    df["good"] = [d["good"] for d in th]
    df["pass"] = [d["pass"] for d in th]
    df["health"] = [health_status(a, d["good"], d["pass"]) for a, d in zip(df["avg"], th)]
    return df[[*keys, "count", "avg", "pass_rate", "good", "pass", "health"]].sort_values(
        keys, ignore_index=True)


# ----------------------------------------------------------------------------- hierarchy
HIERARCHY_COLUMNS = ["level", "key", "parent", "name", "source_name", "source_component", "metric_name",
                     "category", "score", "count", "records", "delta", "health", "good", "pass",
                     "sparkline"]


def _order_keys(t: ibis.Table) -> list:
    keys = [t.timestamp]
    for c in ("dataset_id", "_axis_rid", "trace_id"):
        if c in t.columns:
            keys.append(t[c])
            break
    keys.append(t.metric_name)
    return keys


def hierarchy(ctx: AnalyticContext, deltas: str = "metric", filters=None, metrics=None,
              config=None, sparkline_days: int | None = None) -> pd.DataFrame:
    """Executive hierarchy source -> component -> metric, depth first: level, key, parent,
    name, source_name, source_component, metric_name, category (leaves), score (mean),
    count (scores), records (rows), delta (mean of the newest 25 % of scores minus the older
    75 %, by time; n >= 4), health, good, pass, sparkline (list of {date, value}: daily
    means). Missing source -> "(unknown)", missing component -> "(default)".

    ``deltas``: "metric" (default; the leaves' delta badges), "all" (every level) or
    "none". Each level costs one window pass (a sort of the scores) in the engine."""
    if deltas not in ("metric", "all", "none"):
        raise QueryError(f"deltas must be metric, all or none, got {deltas!r}.")
    cfg = sources.resolve(config)
    base = sources.visible(scores_table(ctx, filters, "timestamp"), cfg, metrics)
    base = base.filter(base.metric_name.notnull())
    base = base.mutate(**sources.dims(base))
    cat = (base.metric_category.upper() if "metric_category" in base.columns else ibis.literal("SCORE"))
    base = base.mutate(_cat=cat.fill_null("SCORE"))
    leaf_keys = ["source_name", "source_component", "metric_name"]

    # Leaves: counts, category and means; upper levels are rolled up from sums exactly.
    s = base.metric_score
    leaves = ctx.execute(base.group_by(leaf_keys).aggregate(
        records=ibis._.count(), count=s.count(), total=s.sum(), category=base._cat.mode()))
    if leaves.empty:
        return pd.DataFrame(columns=HIERARCHY_COLUMNS)

    # Daily sums per leaf for the sparklines.
    scored = base.filter(base.metric_score.notnull() & base.timestamp.notnull())
    daily = ctx.execute(scored.group_by([*leaf_keys, scored.timestamp.truncate("D").name("date")]).aggregate(
        n=scored.metric_score.count(), total=scored.metric_score.sum()))

    # Deltas: newest 25 % vs older 75 % of the scores beneath each node, by time.
    delta_map: dict = {}
    order = _order_keys(scored)
    # Only the columns the windows need travel through them (DuckDB windows carry the row).
    narrow = scored.select(*leaf_keys, "metric_score", *[o.name(f"_o{i}") for i, o in enumerate(order)])
    levels = {"all": list(LEVELS), "metric": ["metric"], "none": []}[deltas]
    for level in levels:
        keys = LEVELS[level]
        part = [narrow[k] for k in keys]
        okeys = [narrow[f"_o{i}"] for i in range(len(order))]
        if level == "metric":
            okeys = okeys[:-1]  # metric_name is constant inside a leaf
        w = ibis.window(group_by=part, order_by=okeys)
        m = narrow.mutate(_rn=ibis.row_number().over(w), _n=ibis._.count().over(ibis.window(group_by=part)))
        split = (m._n * 0.75).floor()
        d = ctx.execute(m.group_by(keys).aggregate(
            n=m.metric_score.count(), new=m.metric_score.mean(where=m._rn >= split),
            old=m.metric_score.mean(where=m._rn < split)))
        for rec in d.itertuples(index=False):
            k = tuple(getattr(rec, c) for c in keys)
            delta_map[(level, k)] = (float(rec.new) - float(rec.old)) if rec.n >= 4 and pd.notna(rec.old) \
                and pd.notna(rec.new) else None

    out = []

    def spark(mask) -> list[dict]:
        sub = daily[mask].groupby("date", sort=True)[["n", "total"]].sum()
        if sparkline_days:
            sub = sub.tail(int(sparkline_days))
        return [{"date": pd.Timestamp(d).strftime("%Y-%m-%d"), "value": float(r.total / r.n)}
                for d, r in sub.iterrows() if r.n]

    def node(level, keys, rows, mask, name, parent, key, category=None):
        th = monitoring_config.source_thresholds(cfg, keys[0])
        cnt = int(rows["count"].sum())
        score = float(rows["total"].sum() / cnt) if cnt else None
        out.append({"level": level, "key": key, "parent": parent, "name": name,
                    "source_name": keys[0], "source_component": keys[1] if len(keys) > 1 else None,
                    "metric_name": keys[2] if len(keys) > 2 else None, "category": category,
                    "score": score, "count": cnt, "records": int(rows["records"].sum()),
                    "delta": delta_map.get((level, tuple(keys))), "health": health_status(score, th["good"], th["pass"]),
                    "good": th["good"], "pass": th["pass"], "sparkline": spark(mask)})

    for src, gs in leaves.groupby("source_name", sort=True):
        node("source", [src], gs, daily["source_name"] == src, src, None, src)
        for comp, gc in gs.groupby("source_component", sort=True):
            ck = f"{src}/{comp}"
            node("component", [src, comp], gc,
                 (daily["source_name"] == src) & (daily["source_component"] == comp), comp, src, ck)
            for rec in gc.sort_values("metric_name").itertuples(index=False):
                mk = f"{ck}/{rec.metric_name}"
                row = gc[gc["metric_name"] == rec.metric_name]
                node("metric", [src, comp, rec.metric_name], row,
                     (daily["source_name"] == src) & (daily["source_component"] == comp)
                     & (daily["metric_name"] == rec.metric_name), rec.metric_name, ck, mk,
                     category=rec.category)
    return pd.DataFrame(out, columns=HIERARCHY_COLUMNS)
