"""The production overview (reference: upstream-ui.md §1.4, §2.5, catalogue rows 46-51).

``axis_jupyter.Production(ds, kpi="kpi_dataset")`` or
``%axis show production [MONITORING] [kpi=KPI_DATASET] [source_name=Atlas] [segment=smb]``.
Either dataset may be left out: the view then shows the sections it has data for.

Actions:

``payload``       Agent KPIs (category panels of KPI cards with sparklines, trend direction
                  and polarity, composition charts, the date range) and AI Quality (alert
                  badge, executive summary: total metrics, overall average and pass rate
                  with daily sparklines and trend arrows (1 % dead band), data freshness;
                  the source -> component -> metric scorecard with score, delta, sparkline,
                  health and records)
``kpi_trend``     {kpi_name} -> the KPI's daily values with 7- and 30-day averages and a
                  Vega-Lite spec (line filled to zero, dashed averages)
``composition``   {title} -> the history of one composition chart (stacked shares)
``metric_detail`` {source_name, source_component, metric_name} -> stats tiles, daily trend
                  and recent values of a score metric, or category counts of a
                  classification metric
"""

from __future__ import annotations

import html
import time as time_mod
from typing import Any

import ibis
import pandas as pd

from .. import monitoring_config
from ..analytics import alerts as al
from ..analytics import classification as cl
from ..analytics import kpi as kp
from ..analytics import monitoring as mon
from ..analytics.filters import apply_filters
from ..errors import AxisError, QueryError
from . import ViewSpec, register_view
from .base import AxisView, is_remote, jsonable, records

VIEW = "production"
KPI_FILTERS = ("source_name", "environment", "source_type", "segment", "kpi_category")
MON_FILTERS = ("source_name", "environment", "source_component", "source_type")


def _read(store, dataset: str, fn):
    if is_remote(store) or not hasattr(store, "read"):
        raise AxisError("production actions run where the data lives; call them through the server.")
    return store.read(lambda cur: fn(store.context(cur, dataset)))


def _check(action: str, unknown: dict) -> None:
    if unknown:
        raise QueryError(f"production {action}: unknown parameter(s) {', '.join(sorted(unknown))}.")


def _filters(filters, allowed) -> dict:
    if filters in (None, ""):
        return {}
    if not isinstance(filters, dict):
        raise QueryError("filters must be an object such as {\"source_name\": \"Atlas\"}.")
    return {k: v for k, v in filters.items() if k in allowed and v not in (None, "", [])}


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
    f = _filters(filters, KPI_FILTERS) or None

    def q(ctx):
        panels = kp.kpi_panels(ctx, filters=f)
        comp = kp.kpi_composition(ctx, filters=f)
        t = ctx.table("scores")
        segs = sorted(str(x) for x in ctx.execute(t.select("segment").distinct())["segment"].dropna()) \
            if "segment" in t.columns else []
        return panels, comp, segs

    panels, comp, segments = _read(store, kpi_ds, q)
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
    f = _filters(filters, MON_FILTERS) or None
    cfg = monitoring_config.load_monitoring()

    def q(ctx):
        h = al.hierarchy(ctx, filters=f)
        a = al.alerts(ctx, filters=f)
        t = mon._category(al.scores_table(ctx, f), "SCORE")
        t = t.filter(t.metric_score.notnull())
        daily = ctx.execute(t.group_by(date=t.timestamp.truncate("D")).aggregate(
            avg=t.metric_score.mean(), pass_rate=(t.metric_score >= cfg["thresholds"]["default"]["pass"]).mean(),
            n=t.metric_score.count()).order_by("date"))
        last = ctx.execute(ctx.table("scores").aggregate(last=ctx.table("scores").timestamp.max()))["last"].iloc[0] \
            if "timestamp" in ctx.table("scores").columns else None
        return h, a, daily, last

    h, a, daily, last = _read(store, mon_ds, q)
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
            "avg_health": al.health_status(avg, **_gp(monitoring_config.source_thresholds(cfg, None))),
            "pass_rate": pr, "pass_sparkline": spark_pr, "pass_trend": _arrow(spark_pr),
            "freshness": _freshness(last),
        },
        "hierarchy": records(h),
    }


def _gp(th: dict) -> dict:
    return {"good": th["good"], "pass_": th["pass"]}


# ------------------------------------------------------------------ actions
def payload(store, dataset: str | None, kpi=None, filters=None, **unknown) -> dict:
    """The three sections' data (Agent KPIs, AI Quality; human signals live elsewhere)."""
    _check("payload", unknown)
    t0 = time_mod.perf_counter()
    mon_ds, kpi_ds = _datasets(store, dataset, kpi)
    out: dict[str, Any] = {"view": VIEW, "dataset": dataset, "kpi_dataset": kpi_ds, "monitoring_dataset": mon_ds,
                           "kpi": _kpi_section(store, kpi_ds, filters) if kpi_ds else None,
                           "quality": _quality_section(store, mon_ds, filters) if mon_ds else None}
    out["timing"] = {"total_ms": round((time_mod.perf_counter() - t0) * 1000, 2)}
    return jsonable(out)


def kpi_trend_spec(rows: list[dict], name: str, lines: list[str]) -> dict:
    layers = []
    if "daily" in lines:
        layers.append({"mark": {"type": "area", "line": True, "opacity": 0.15},
                       "encoding": {"x": {"field": "date", "type": "temporal", "title": None},
                                    "y": {"field": "value", "type": "quantitative", "title": name},
                                    "tooltip": [{"field": "date", "type": "temporal"},
                                                {"field": "value", "format": ",.3f"}, {"field": "count"}]}})
    for key, dash, color in (("avg_7d", [6, 3], "#d97706"), ("avg_30d", [2, 2], "#6b7280")):
        if key in lines:
            layers.append({"mark": {"type": "line", "strokeDash": dash, "color": color},
                           "encoding": {"x": {"field": "date", "type": "temporal"},
                                        "y": {"field": key, "type": "quantitative"}}})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": "container", "height": 180,
            "title": name, "data": {"name": "series"}, "datasets": {"series": rows}, "layer": layers}


def kpi_trend(store, dataset: str | None, kpi_name=None, kpi=None, filters=None, **unknown) -> dict:
    """Daily values of one KPI with its 7- and 30-day averages."""
    _check("kpi_trend", unknown)
    if not kpi_name:
        raise QueryError("kpi_trend needs a kpi_name.")
    _, kpi_ds = _datasets(store, dataset, kpi)
    if not kpi_ds:
        raise QueryError("no KPI dataset: pass kpi=NAME.")
    f = _filters(filters, KPI_FILTERS) or None
    df = _read(store, kpi_ds, lambda ctx: kp.kpi_trends(ctx, kpi_names=[kpi_name], filters=f))
    cfg = monitoring_config.load_kpi()
    src = (f or {}).get("source_name") if isinstance((f or {}).get("source_name"), str) else None
    disp = monitoring_config.kpi_display(cfg, kpi_name, src)
    rows = records(df)
    return jsonable({"kpi_name": kpi_name, "display": disp, "rows": rows,
                     "chart": kpi_trend_spec(rows, disp["display_name"], disp["trend_lines"])})


def composition(store, dataset: str | None, title=None, kpi=None, filters=None, **unknown) -> dict:
    """Daily history of a composition chart's shares (for the stacked area)."""
    _check("composition", unknown)
    _, kpi_ds = _datasets(store, dataset, kpi)
    if not kpi_ds:
        raise QueryError("no KPI dataset: pass kpi=NAME.")
    f = _filters(filters, KPI_FILTERS) or None
    df = _read(store, kpi_ds, lambda ctx: kp.kpi_composition(ctx, filters=f, history=True))
    if title:
        df = df[df["chart"] == title]
    return jsonable({"title": title, "rows": df.to_dict("records")})


def metric_detail(store, dataset: str | None, source_name=None, source_component=None, metric_name=None,
                  filters=None, limit=20, **unknown) -> dict:
    """Detail of one scorecard leaf: stats + trend + recent values (SCORE), or category
    counts (CLASSIFICATION)."""
    _check("metric_detail", unknown)
    mon_ds, _ = _datasets(store, dataset, None)
    if not mon_ds or not metric_name:
        raise QueryError("metric_detail needs a monitoring dataset and a metric_name.")
    f = dict(_filters(filters, MON_FILTERS))
    f["metric_name"] = metric_name
    if source_name not in (None, al.UNKNOWN_SOURCE):
        f["source_name"] = source_name
    if source_component not in (None, al.DEFAULT_COMPONENT):
        f["source_component"] = source_component

    def q(ctx):
        t = apply_filters(ctx.table("full"), f)
        cat = ctx.execute(t.aggregate(c=t.metric_category.mode()))["c"].iloc[0] if "metric_category" in t.columns \
            else "SCORE"
        if str(cat).upper() == "CLASSIFICATION":
            return cat, cl.classification(ctx, metric=metric_name, filters=f), None, None
        tt = t.filter(t.metric_score.notnull())
        s = tt.metric_score
        stats = ctx.execute(tt.aggregate(mean=s.mean(), std=s.std(), min=s.min(), max=s.max(), count=s.count(),
                                         pass_rate=(s >= 0.5).mean()))
        trend = ctx.execute(tt.group_by(date=tt.timestamp.truncate("D")).aggregate(
            value=tt.metric_score.mean(), count=tt.metric_score.count()).order_by("date"))
        cols = [c for c in ("timestamp", "metric_score", "trace_id", "dataset_id") if c in tt.columns]
        recent = ctx.execute(tt.order_by(ibis.desc(tt.timestamp)).select(*cols).limit(int(limit)))
        return cat, stats, trend, recent

    cat, a, b, c = _read(store, mon_ds, q)
    if b is None:
        return jsonable({"metric_name": metric_name, "category": cat, "counts": a.to_dict("records"),
                         "total": int(a["count"].sum()) if len(a) else 0})
    return jsonable({"metric_name": metric_name, "category": cat or "SCORE", "stats": a.iloc[0].to_dict(),
                     "trend": b.to_dict("records"), "recent": c.to_dict("records")})


# ------------------------------------------------------------------ widget
class Production(AxisView):
    """Production overview: Agent KPIs (cards, trends, composition) from a KPI dataset and AI
    Quality (alerts badge, executive summary, source -> component -> metric scorecard) from
    a monitoring dataset. ``Production(mon_ds, kpi="kpi_ds", filters={"source_name": "Atlas"})``."""

    view_name = VIEW

    def __init__(self, ds_or_name=None, store=None, *, kpi=None, filters=None, **kwargs):
        if ds_or_name is None and kpi is not None:
            ds_or_name = kpi
        params: dict[str, Any] = {"filters": dict(filters or {})}
        if kpi:
            params["kpi"] = kpi if isinstance(kpi, str) else getattr(kpi, "name", kpi)
        super().__init__(ds_or_name, store, params=params, **kwargs)

    def payload_params(self) -> dict:
        return {k: self.params[k] for k in ("filters", "kpi") if k in self.params}

    def static_html(self) -> str:
        return static_html(self.snapshot)


def _num(v, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def static_html(snap: dict) -> str:
    if not snap:
        return "<div>AXIS production overview (no data rendered yet)</div>"
    e = html.escape
    parts = ["<div class='axis-static axis-production' style='font-family:system-ui,sans-serif;font-size:13px'>",
             "<div style='font-weight:600'>Production overview</div>"]
    k = snap.get("kpi")
    if k:
        for c in k["categories"]:
            cards = "".join(f"<span style='margin-right:12px'>{e(str(x['display_name']))}: "
                            f"<b>{_num(x['card_value'], ',.3g')}</b> ({e(str(x['trend_direction']))})</span>"
                            for x in c["kpis"])
            parts.append(f"<div><i>{e(str(c['display_name']))}</i>: {cards}</div>")
    qd = snap.get("quality")
    if qd:
        s = qd["summary"]
        parts.append(f"<div>Alerts: {qd['alerts']['count']} · metrics {s['total_metrics']} · "
                     f"avg {_num(s['avg_score'], '.3f')} · freshness {e(s['freshness']['text'])}</div>")
        pad = {"source": 0, "component": 12, "metric": 24}
        rows = "".join(
            f"<tr><td style='padding-left:{pad[r['level']]}px'>{e(str(r['name']))}</td>"
            f"<td>{_num(r['score'], '.3f')}</td><td>{_num(r['delta'], '+.3f') if r['delta'] is not None else ''}</td>"
            f"<td>{e(str(r['health']))}</td><td>{r['records']:,}</td></tr>" for r in qd["hierarchy"])
        parts.append("<table><thead><tr><th>Hierarchy</th><th>Score</th><th>Δ</th><th>Health</th><th>Records</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    parts.append("</div>")
    return "".join(parts)


OPTIONS = {"kpi", "source_name", "environment", "segment", "source_type", "source_component"}


def widget(store, dataset=None, **options):
    """Factory for ``%axis show production [DATASET] [kpi=NAME] [source_name=...]``."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise QueryError(f"production options are {', '.join(sorted(OPTIONS))} (got {', '.join(sorted(unknown))}).")
    kpi = options.pop("kpi", None)
    if dataset is None and kpi is None:
        ds = store.datasets()
        mons = ds[ds["kind"] == "monitoring"]["name"].tolist() if len(ds) else []
        kpis = ds[ds["kind"] == "kpi"]["name"].tolist() if len(ds) else []
        if len(mons) > 1 or len(kpis) > 1 or not (mons or kpis):
            raise QueryError("name the datasets: %axis show production MONITORING [kpi=KPI] "
                             f"(monitoring: {', '.join(mons) or 'none'}; kpi: {', '.join(kpis) or 'none'}).")
        dataset = mons[0] if mons else None
        kpi = kpis[0] if kpis else None
    return Production(dataset, store=store, kpi=kpi, filters=options)


register_view(ViewSpec(
    name=VIEW,
    description="Production overview: agent KPIs, executive quality summary, source/component/metric scorecard",
    widget=widget,
    actions={"payload": payload, "kpi_trend": kpi_trend, "composition": composition, "metric_detail": metric_detail},
    kinds=("monitoring", "kpi"),
))

__all__ = ["Production", "payload", "kpi_trend", "composition", "metric_detail"]
