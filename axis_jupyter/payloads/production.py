"""What the production overview shows (reference: upstream-ui.md §1.4, §2.5, catalogue rows 46-51).

The view shows a monitoring dataset, a KPI dataset (``kpi=NAME``) or both; either may be
left out, and the view then shows the sections it has data for.

``payload``       Agent KPIs (category panels of KPI cards with sparklines, trend direction
                  and polarity, composition charts, the date range) and AI Quality (alert
                  badge, executive summary: total metrics, overall average and pass rate
                  with daily sparklines and trend arrows (1 % dead band), data freshness;
                  the source -> component -> metric scorecard with score, delta, sparkline,
                  health and records)
``kpi_trend``     {kpi_name} -> the KPI's daily values with 7- and 30-day averages and its
                  chart (line filled to zero, dashed averages)
``composition``   {title} -> the history of one composition chart (stacked shares)
``metric_detail`` {source_name, source_component, metric_name} -> stats tiles, daily trend
                  and recent values of a score metric, or category counts of a
                  classification metric
``filter_options`` {kpi} -> the shared filter bar's fields over both datasets
``code``          {kpi, signals, filters} -> the Python calls returning the numbers shown:
                  ``kpi_panels`` (the KPI cards), ``hierarchy`` (the quality scorecard) and
                  ``signal_kpis`` (the human-signals cards), each on its own dataset with the
                  filters that section applies
"""

from __future__ import annotations

import time as time_mod
from typing import Any

import ibis
import pandas as pd

from .. import monitoring_config
from ..branding import agents_for
from ..analytics import kpi as kpi_analytics
from ..analytics import monitoring
from ..analytics.alerts import DEFAULT_COMPONENT, UNKNOWN_SOURCE, health_status, hierarchy, scores_table
from ..analytics.alerts import alerts as find_alerts
from ..analytics.classification import classification as category_counts
from ..analytics.filters import apply_filters
from ..errors import QueryError
from ..wire import jsonable, records
from . import params
from .registry import ViewSpec, chart
from .series import mark_series
from .signals import production_filters as signal_filters
from .signals import production_section as signal_cards

VIEW = "production"
KPI_FILTERS = ("source_name", "environment", "source_type", "segment", "kpi_category")
MON_FILTERS = ("source_name", "environment", "source_component", "source_type")
KPI_EXAMPLE = '{"source_name": "Atlas"}'


def _datasets(store, dataset, kpi) -> tuple[str | None, str | None]:
    """(monitoring dataset, KPI dataset) from the view's dataset and its ``kpi`` option."""
    mon_ds = kpi_ds = None
    if dataset:
        kind = store.info(dataset)["kind"]
        if kind == "kpi":
            kpi_ds = dataset
        elif kind == "monitoring":
            mon_ds = dataset
        else:
            raise QueryError(f"the production view shows monitoring and KPI datasets; {dataset!r} is {kind}.")
    if kpi:
        if store.info(kpi)["kind"] != "kpi":
            raise QueryError(f"kpi={kpi!r} is not a KPI dataset.")
        kpi_ds = kpi
    return mon_ds, kpi_ds


def _arrow(spark: list[dict], dead_band: float = 0.01) -> str:
    """up / down / flat comparing the first and last sparkline values (1 % dead band)."""
    vals = [p["value"] for p in spark if p.get("value") is not None]
    if len(vals) < 2 or vals[0] == 0:
        return "flat"
    rel = (vals[-1] - vals[0]) / abs(vals[0])
    return "up" if rel > dead_band else "down" if rel < -dead_band else "flat"


def _freshness(last) -> dict:
    if last is None or pd.isna(last):
        return {"latest": None, "age_seconds": None, "text": "no data"}
    age = (pd.Timestamp.now(tz="UTC").tz_localize(None) - pd.Timestamp(last)).total_seconds()
    if age < 3600:
        text = f"{max(0, int(age // 60))}m ago"
    elif age < 86400:
        text = f"{int(age // 3600)}h ago"
    else:
        text = f"{int(age // 86400)}d ago"
    return {"latest": pd.Timestamp(last).isoformat(), "age_seconds": age, "text": text}


def _kpi_section(store, kpi_ds, filters) -> dict:
    f = params.filters(filters, allowed=KPI_FILTERS, example=KPI_EXAMPLE) or None

    def q(ctx):
        panels = kpi_analytics.kpi_panels(ctx, filters=f)
        comp = kpi_analytics.kpi_composition(ctx, filters=f)
        t = ctx.table("scores")
        segs = sorted(str(x) for x in ctx.execute(t.select("segment").distinct())["segment"].dropna()) \
            if "segment" in t.columns else []
        return panels, comp, segs

    panels, comp, segments = store.view_read(kpi_ds, q)
    cats = []
    for cat, g in panels.groupby("category", sort=False):
        cats.append({"category": cat, "display_name": g["category_display_name"].iloc[0],
                     "icon": g["icon"].iloc[0], "kpis": records(g.drop(columns=["category_display_name", "icon"]))})
    charts = []
    for title, g in comp.groupby("chart", sort=False):
        charts.append({"title": title, "segments": records(g.drop(columns=["chart"]))})
    dr = panels.attrs.get("date_range", {})
    days = None
    if dr.get("min_date") and dr.get("max_date"):
        days = (pd.Timestamp(dr["max_date"]) - pd.Timestamp(dr["min_date"])).days + 1
    return {"dataset": kpi_ds, "categories": cats, "composition": charts, "segments": segments,
            "date_range": {**dr, "days": days}, "filters": f or {}}


def _quality_section(store, mon_ds, filters) -> dict:
    f = params.filters(filters, allowed=MON_FILTERS, example=KPI_EXAMPLE) or None
    cfg = monitoring_config.load_monitoring()
    default_bands = monitoring_config.source_thresholds(cfg, None)

    def q(ctx):
        h = hierarchy(ctx, filters=f)
        a = find_alerts(ctx, filters=f)
        t = monitoring._category(scores_table(ctx, f), "SCORE")
        t = t.filter(t.metric_score.notnull())
        daily = ctx.execute(t.group_by(date=t.timestamp.truncate("D")).aggregate(
            avg=t.metric_score.mean(), pass_rate=(t.metric_score >= default_bands["pass"]).mean(),
            n=t.metric_score.count()).order_by("date"))
        scores = ctx.table("scores")
        last = ctx.execute(scores.aggregate(last=scores.timestamp.max()))["last"].iloc[0] \
            if "timestamp" in scores.columns else None
        return h, a, daily, last

    h, a, daily, last = store.view_read(mon_ds, q)
    n = daily["n"].sum() if len(daily) else 0
    avg = float((daily["avg"] * daily["n"]).sum() / n) if n else None
    pr = float((daily["pass_rate"] * daily["n"]).sum() / n) if n else None
    spark_avg = [{"date": pd.Timestamp(d).strftime("%Y-%m-%d"), "value": float(v)}
                 for d, v in zip(daily["date"], daily["avg"])]
    spark_pr = [{"date": pd.Timestamp(d).strftime("%Y-%m-%d"), "value": float(v)}
                for d, v in zip(daily["date"], daily["pass_rate"])]
    leaves = h[h["level"] == "metric"] if len(h) else h
    return {
        "dataset": mon_ds, "filters": f or {},
        "alerts": {"count": int(len(a)), "errors": int((a["severity"] == "error").sum()) if len(a) else 0,
                   "items": records(a.head(50))},
        "summary": {
            "total_metrics": int(leaves["metric_name"].nunique()) if len(leaves) else 0,
            "avg_score": avg, "avg_sparkline": spark_avg, "avg_trend": _arrow(spark_avg),
            "avg_health": health_status(avg, good=default_bands["good"], pass_=default_bands["pass"]),
            "pass_rate": pr, "pass_sparkline": spark_pr, "pass_trend": _arrow(spark_pr),
            "freshness": _freshness(last),
        },
        "hierarchy": records(h),
        # the source rows' agents.yaml labels and avatars
        "agents": agents_for(h["source_name"].unique()) if len(h) else {},
    }


def payload(store, dataset: str | None, kpi=None, signals=None, filters=None, **unknown) -> dict:
    """The Agent KPIs, AI Quality and Human Signals (``signals=NAME``: the first KPI cards
    of a human-signals dataset's strip) sections."""
    params.no_unknown(VIEW, "payload", unknown)
    t0 = time_mod.perf_counter()
    if dataset and store.info(dataset)["kind"] == "signals":
        dataset, signals = None, signals or dataset
    mon_ds, kpi_ds = _datasets(store, dataset, kpi)
    out: dict[str, Any] = {"view": VIEW, "dataset": dataset, "kpi_dataset": kpi_ds, "monitoring_dataset": mon_ds,
                           "kpi": _kpi_section(store, kpi_ds, filters) if kpi_ds else None,
                           "quality": _quality_section(store, mon_ds, filters) if mon_ds else None,
                           "signals": signal_cards(store, signals, filters) if signals else None}
    out["timing"] = {"total_ms": round((time_mod.perf_counter() - t0) * 1000, 2)}
    return jsonable(out)


def kpi_trend(store, dataset: str | None, kpi_name=None, kpi=None, filters=None, **unknown) -> dict:
    """Daily values of one KPI with its 7- and 30-day averages."""
    params.no_unknown(VIEW, "kpi_trend", unknown)
    if not kpi_name:
        raise QueryError("kpi_trend needs a kpi_name.")
    _, kpi_ds = _datasets(store, dataset, kpi)
    if not kpi_ds:
        raise QueryError("no KPI dataset: pass kpi=NAME.")
    f = params.filters(filters, allowed=KPI_FILTERS, example=KPI_EXAMPLE) or None
    df = store.view_read(kpi_ds, lambda ctx: kpi_analytics.kpi_trends(ctx, kpi_names=[kpi_name], filters=f))
    src = (f or {}).get("source_name") if isinstance((f or {}).get("source_name"), str) else None
    disp = monitoring_config.kpi_display(monitoring_config.load_kpi(), kpi_name, src)
    # days without data leave a gap in the line (the window is the KPI's own dates)
    rows = mark_series(records(df), "day", key="kpi_name", at="date")
    return jsonable({"kpi_name": kpi_name, "display": disp, "rows": rows,
                     "chart": chart("kpi_trend", rows=rows, name=disp["display_name"], lines=disp["trend_lines"],
                                    unit=disp["unit"])})


def composition(store, dataset: str | None, title=None, kpi=None, filters=None, **unknown) -> dict:
    """Daily history of a composition chart's shares (for the stacked area)."""
    params.no_unknown(VIEW, "composition", unknown)
    _, kpi_ds = _datasets(store, dataset, kpi)
    if not kpi_ds:
        raise QueryError("no KPI dataset: pass kpi=NAME.")
    f = params.filters(filters, allowed=KPI_FILTERS, example=KPI_EXAMPLE) or None
    df = store.view_read(kpi_ds, lambda ctx: kpi_analytics.kpi_composition(ctx, filters=f, history=True))
    if title:
        df = df[df["chart"] == title]
    return jsonable({"title": title, "rows": df.to_dict("records")})


def metric_detail(store, dataset: str | None, source_name=None, source_component=None, metric_name=None,
                  filters=None, limit=20, **unknown) -> dict:
    """Detail of one scorecard leaf: stats + trend + recent values (SCORE), or category
    counts (CLASSIFICATION)."""
    params.no_unknown(VIEW, "metric_detail", unknown)
    mon_ds, _ = _datasets(store, dataset, None)
    if not mon_ds or not metric_name:
        raise QueryError("metric_detail needs a monitoring dataset and a metric_name.")
    f = dict(params.filters(filters, allowed=MON_FILTERS, example=KPI_EXAMPLE))
    f["metric_name"] = metric_name
    if source_name not in (None, UNKNOWN_SOURCE):
        f["source_name"] = source_name
    if source_component not in (None, DEFAULT_COMPONENT):
        f["source_component"] = source_component

    def q(ctx):
        t = apply_filters(ctx.table("full"), f)
        cat = ctx.execute(t.aggregate(c=t.metric_category.mode()))["c"].iloc[0] if "metric_category" in t.columns \
            else "SCORE"
        if str(cat).upper() == "CLASSIFICATION":
            return cat, category_counts(ctx, metric=metric_name, filters=f), None, None
        tt = t.filter(t.metric_score.notnull())
        s = tt.metric_score
        stats = ctx.execute(tt.aggregate(mean=s.mean(), std=s.std(), min=s.min(), max=s.max(), count=s.count(),
                                         pass_rate=(s >= 0.5).mean()))
        trend = ctx.execute(tt.group_by(date=tt.timestamp.truncate("D")).aggregate(
            value=tt.metric_score.mean(), count=tt.metric_score.count()).order_by("date"))
        cols = [c for c in ("timestamp", "metric_score", "trace_id", "dataset_id") if c in tt.columns]
        recent = ctx.execute(tt.order_by(ibis.desc(tt.timestamp)).select(*cols).limit(int(limit)))
        return cat, stats, trend, recent

    cat, a, b, c = store.view_read(mon_ds, q)
    if b is None:
        return jsonable({"metric_name": metric_name, "category": cat, "counts": a.to_dict("records"),
                         "total": int(a["count"].sum()) if len(a) else 0})
    return jsonable({"metric_name": metric_name, "category": cat or "SCORE", "stats": a.iloc[0].to_dict(),
                     "trend": b.to_dict("records"), "recent": c.to_dict("records")})


def filter_options(store, dataset: str | None, kpi=None, **unknown) -> dict:
    """The filter bar's fields over both datasets the view shows: the KPI dataset's
    KPI_FILTERS columns and the monitoring dataset's MON_FILTERS columns, the values of a
    column both have merged. Each section then applies the filters it has columns for."""
    from .filterbar import filter_options as fields_of

    params.no_unknown(VIEW, "filter_options", unknown)
    if dataset and store.info(dataset)["kind"] == "signals":
        dataset = None
    mon_ds, kpi_ds = _datasets(store, dataset, kpi)
    merged: dict[str, dict] = {}
    for ds, keys in ((kpi_ds, KPI_FILTERS), (mon_ds, MON_FILTERS)):
        if not ds:
            continue
        for f in fields_of(store, ds)["fields"]:
            if f["key"] in keys:
                have = merged.setdefault(f["key"], {**f, "values": []})
                have["values"] = sorted(set(have["values"]) | set(f["values"]))
    return jsonable({"fields": list(merged.values()), "time_range": None})


def code(store, dataset: str | None, kpi=None, signals=None, filters=None, analytic=None, args=None,
         **unknown) -> dict:
    """``{code}``: one call per section the view shows, on that section's dataset with the
    filters it applies (a column one dataset lacks is left out of its call, as the section
    leaves it out). ``analytic`` and ``args`` (the filter bar's generic request) are
    accepted and not used: the sections name their own analytics."""
    from .filterbar import call_code

    params.no_unknown(VIEW, "code", unknown)
    if filters is not None and not isinstance(filters, dict):
        raise QueryError('filters must be an object such as {"source_name": "Atlas"}.')
    if dataset and store.info(dataset)["kind"] == "signals":
        dataset, signals = None, signals or dataset
    mon_ds, kpi_ds = _datasets(store, dataset, kpi)
    blocks = []
    if kpi_ds:
        f = params.filters(filters, allowed=KPI_FILTERS, example=KPI_EXAMPLE)
        blocks.append("# Agent KPIs: card_value and record_count per kpi_name\n"
                      + call_code(kpi_ds, "kpi_panels", f, var="kpis"))
    if mon_ds:
        f = params.filters(filters, allowed=MON_FILTERS, example=KPI_EXAMPLE)
        blocks.append("# Quality scorecard: score, records and health per source / component / metric\n"
                      + call_code(mon_ds, "hierarchy", f, var="quality"))
    if signals:
        blocks.append("# Human Signals: the first five rows are the cards\n"
                      + call_code(signals, "signal_kpis", signal_filters(store, signals, filters), var="signals"))
    if not blocks:
        raise QueryError("the production view shows nothing to reproduce: give it a monitoring or KPI dataset.")
    return {"code": "\n".join(blocks)}


SPEC = ViewSpec(
    name=VIEW,
    description="Production overview: agent KPIs, executive quality summary, source/component/metric scorecard",
    actions={"payload": payload, "kpi_trend": kpi_trend, "composition": composition, "metric_detail": metric_detail,
             "filter_options": filter_options, "code": code},
    kinds=("monitoring", "kpi", "signals"),
)
