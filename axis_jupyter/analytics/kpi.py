"""KPI analytics for ``kind="kpi"`` datasets (reference §1.7, §3.3; UI §1.4).

Rows are observations ``(created_at, kpi_name, numeric_value, ...)``. Daily aggregation
runs in the engine: one value per KPI and day, the SUM for KPIs whose unit is ``count``
(``kpi.yaml`` overrides, per source when one source is selected) and the mean otherwise.
``avg_7d`` / ``avg_30d`` are means of the last 7 / 30 *daily rows* (days with data, not
calendar days), computed with window functions. Only the daily series comes back.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from .. import monitoring_config
from ..errors import QueryError
from .context import AnalyticContext
from .evals import as_list
from .filters import apply_filters

TREND_COLUMNS = ["date", "kpi_name", "value", "avg_7d", "avg_30d", "count"]
PANEL_COLUMNS = ["category", "category_display_name", "icon", "order", "kpi_name", "display_name", "unit",
                 "polarity", "current_value", "avg_7d", "avg_30d", "card_display_value", "card_value",
                 "trend_direction", "sparkline", "record_count", "latest_date"]
TREND_DEAD_BAND = 0.05


def _single_source(filters) -> str | None:
    v = (filters or {}).get("source_name")
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)) and len(v) == 1:
        return str(v[0])
    return None


def _rows(ctx: AnalyticContext, filters) -> ibis.Table:
    t = ctx.table("scores")
    for c in ("kpi_name", "numeric_value", "created_at"):
        if c not in t.columns:
            raise QueryError(f"this dataset has no {c} column; KPI analytics need kpi_name, "
                             "numeric_value and created_at.")
    t = apply_filters(t, filters, time_column="created_at")
    return t.filter(t.numeric_value.notnull() & t.kpi_name.notnull() & t.created_at.notnull())


def _visible(cfg: dict, kpi_names, filters) -> list[str]:
    names = as_list(kpi_names)
    if names:
        return names
    src = _single_source(filters)
    if src is not None and cfg["visible_kpis_per_source"].get(src):
        return list(cfg["visible_kpis_per_source"][src])
    return list(cfg["visible_kpis"])


def _count_kpis(ctx, t, cfg, src) -> list[str]:
    names = ctx.execute(t.select("kpi_name").distinct())["kpi_name"].tolist()
    return [k for k in names if monitoring_config.kpi_display(cfg, k, src)["unit"] == "count"]


def daily(ctx: AnalyticContext, kpi_names=None, filters=None, config=None, cfg=None) -> ibis.Table:
    """The daily Ibis expression: date, kpi_name, value, avg_7d, avg_30d, count."""
    cfg = cfg or monitoring_config.resolve_kpi(config)
    t = _rows(ctx, filters)
    visible = _visible(cfg, kpi_names, filters)
    if visible:
        t = t.filter(t.kpi_name.isin(visible))
    counts = _count_kpis(ctx, t, cfg, _single_source(filters))
    v = t.numeric_value
    d = t.group_by(kpi_name=t.kpi_name, date=t.created_at.truncate("D")).aggregate(
        total=v.sum(), mean=v.mean(), count=v.count())
    is_count = d.kpi_name.isin(counts) if counts else ibis.literal(False)
    d = d.mutate(value=ibis.ifelse(is_count, d.total, d.mean))
    w7 = ibis.window(group_by=d.kpi_name, order_by=d.date, preceding=6, following=0)
    w30 = ibis.window(group_by=d.kpi_name, order_by=d.date, preceding=29, following=0)
    return d.mutate(avg_7d=d.value.mean().over(w7), avg_30d=d.value.mean().over(w30)).select(*TREND_COLUMNS)


def kpi_trends(ctx: AnalyticContext, kpi_names=None, filters=None, config=None) -> pd.DataFrame:
    """Daily series per KPI: date, kpi_name, value (SUM for count KPIs, else mean), avg_7d,
    avg_30d (means of the last 7 / 30 daily rows), count (observations that day).
    ``df.attrs['trend_lines']`` lists the trend lines to draw (union over the KPIs)."""
    cfg = monitoring_config.resolve_kpi(config)
    expr = daily(ctx, kpi_names, filters, cfg=cfg).order_by(["kpi_name", "date"])
    df = ctx.execute(expr)[TREND_COLUMNS]
    src = _single_source(filters)
    lines = set()
    for k in df["kpi_name"].unique():
        lines.update(monitoring_config.kpi_display(cfg, k, src)["trend_lines"])
    df.attrs["trend_lines"] = [x for x in monitoring_config.TREND_LINES if x in lines]
    return df


def trend_direction(avg_7d, avg_30d, dead_band: float = TREND_DEAD_BAND) -> str:
    """up / down / flat from (avg_7d - avg_30d) / |avg_30d| against +-5 %."""
    if avg_30d is None or avg_7d is None or pd.isna(avg_30d) or pd.isna(avg_7d) or avg_30d == 0:
        return "flat"
    rel = (avg_7d - avg_30d) / abs(avg_30d)
    if rel > dead_band:
        return "up"
    if rel < -dead_band:
        return "down"
    return "flat"


def kpi_panels(ctx: AnalyticContext, kpi_names=None, filters=None, config=None,
               sparkline_points: int = 30) -> pd.DataFrame:
    """One row per KPI card, grouped into category panels: category, category_display_name,
    icon, order, kpi_name, display_name, unit, polarity, current_value (latest day),
    avg_7d, avg_30d, card_display_value (latest | avg_7d | avg_30d), card_value,
    trend_direction (up / down / flat), sparkline (last 30 daily points as
    [{date, value}]), record_count, latest_date.

    Configured categories come first in YAML order, then the others title-cased with icon
    ``BarChart3``. ``df.attrs['date_range']`` = {min_date, max_date}."""
    cfg = monitoring_config.resolve_kpi(config)
    src = _single_source(filters)
    t = _rows(ctx, filters)
    visible = _visible(cfg, kpi_names, filters)
    if visible:
        t = t.filter(t.kpi_name.isin(visible))
    meta_aggs = {"record_count": ibis._.count(), "min_date": t.created_at.min(), "max_date": t.created_at.max()}
    if "kpi_category" in t.columns:
        meta_aggs["category"] = t.kpi_category.mode()
    meta = ctx.execute(t.group_by("kpi_name").aggregate(**meta_aggs))
    series = ctx.execute(daily(ctx, kpi_names, filters, cfg=cfg).order_by(["kpi_name", "date"]))
    if meta.empty:
        df = pd.DataFrame(columns=PANEL_COLUMNS)
        df.attrs["date_range"] = {"min_date": None, "max_date": None}
        return df
    cats_cfg = cfg["categories"]
    cat_order = {c: i for i, c in enumerate(cats_cfg)}
    order_list = visible or []
    rows = []
    for rec in meta.itertuples(index=False):
        k = rec.kpi_name
        s = series[series["kpi_name"] == k]
        last = s.iloc[-1] if len(s) else None
        disp = monitoring_config.kpi_display(cfg, k, src)
        cat = getattr(rec, "category", None)
        cat = None if cat is None or (isinstance(cat, float) and np.isnan(cat)) else str(cat)
        cat_key = cat or "other"
        ccfg = cats_cfg.get(cat_key, {})
        current = float(last["value"]) if last is not None else None
        a7 = float(last["avg_7d"]) if last is not None else None
        a30 = float(last["avg_30d"]) if last is not None else None
        card = {"latest": current, "avg_7d": a7, "avg_30d": a30}[disp["card_display_value"]]
        spark = s.tail(int(sparkline_points))
        rows.append({
            "category": cat_key,
            "category_display_name": ccfg.get("display_name", cat_key.replace("_", " ").title()),
            "icon": ccfg.get("icon", "BarChart3"),
            "_corder": cat_order.get(cat_key, len(cat_order)),
            "order": order_list.index(k) if k in order_list else len(order_list),
            "kpi_name": k, "display_name": disp["display_name"], "unit": disp["unit"],
            "polarity": disp["polarity"], "current_value": current, "avg_7d": a7, "avg_30d": a30,
            "card_display_value": disp["card_display_value"], "card_value": card,
            "trend_direction": trend_direction(a7, a30),
            "sparkline": [{"date": pd.Timestamp(d).strftime("%Y-%m-%d"), "value": float(v)}
                          for d, v in zip(spark["date"], spark["value"])],
            "record_count": int(rec.record_count),
            "latest_date": pd.Timestamp(last["date"]).strftime("%Y-%m-%d") if last is not None else None,
        })
    df = pd.DataFrame(rows)
    # configured categories first (YAML order), then the rest by name; KPIs by config order, then name
    df = df.sort_values(["_corder", "category", "order", "kpi_name"], ignore_index=True).drop(columns="_corder")
    df.attrs["date_range"] = {"min_date": pd.Timestamp(meta["min_date"].min()).strftime("%Y-%m-%d"),
                              "max_date": pd.Timestamp(meta["max_date"].max()).strftime("%Y-%m-%d")}
    return df[PANEL_COLUMNS]


def kpi_composition(ctx: AnalyticContext, history: bool = False, filters=None,
                    config=None) -> pd.DataFrame:
    """Composition charts from kpi.yaml: chart, date, kpi_name, label, color, value, with a
    remainder row (1 - sum, at least 0) when ``show_remainder``. Current values (latest
    day) by default; ``history=True`` gives one set of rows per day (for stacked areas)."""
    cfg = monitoring_config.resolve_kpi(config)
    cols = ["chart", "date", "kpi_name", "label", "color", "value"]
    charts = cfg["composition_charts"]
    if not charts:
        return pd.DataFrame(columns=cols)
    names = sorted({k["kpi_name"] for ch in charts for k in ch["kpis"]})
    series = ctx.execute(daily(ctx, names, filters, cfg=cfg).order_by(["kpi_name", "date"]))
    rows = []
    for ch in charts:
        wide = series[series["kpi_name"].isin([k["kpi_name"] for k in ch["kpis"]])].pivot_table(
            index="date", columns="kpi_name", values="value", aggfunc="first")
        if wide.empty:
            continue
        dates = list(wide.index) if history else [series.loc[series["kpi_name"].isin(wide.columns), "date"].max()]
        for d in dates:
            total = 0.0
            for k in ch["kpis"]:
                if history:
                    v = wide.at[d, k["kpi_name"]] if k["kpi_name"] in wide.columns else np.nan
                else:  # each KPI's latest value
                    s = series[series["kpi_name"] == k["kpi_name"]]
                    v = s["value"].iloc[-1] if len(s) else np.nan
                v = None if pd.isna(v) else float(v)
                total += v or 0.0
                rows.append({"chart": ch["title"], "date": d, "kpi_name": k["kpi_name"], "label": k["label"],
                             "color": k["color"], "value": v})
            if ch["show_remainder"]:
                rows.append({"chart": ch["title"], "date": d, "kpi_name": None, "label": ch["remainder_label"],
                             "color": ch["remainder_color"], "value": max(0.0, 1.0 - total)})
    return pd.DataFrame(rows, columns=cols)
