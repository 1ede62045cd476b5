"""The production monitor view (reference: upstream-ui.md §1.3, catalogue rows 35-45).

``axis_jupyter.Monitor(ds)`` or ``%axis show monitor NAME [time=24h] [granularity=hour]``.

Actions (JSON in, JSON out; run by the server extension over HTTP or by the widget in the
kernel - see ``views/base.py``). Every action takes ``filters`` (environment,
source_name, source_component, source_type, model_name: a value or a list) and a time
window: ``time`` = 1h | 6h | 24h | 7d | 30d | all | custom (with ``time_range`` =
[start, end]). Presets count back from the newest timestamp in the data (``anchor="data"``,
the default, so a historical dataset still shows its last day) or from now
(``anchor="now"``, the reference's behaviour).

``payload``        filter options, KPI cards (average score, pass rate, p95 latency, alert
                   count), score trends with p50-p95 bands and good/pass lines, the latency
                   histogram with p50/p95/p99 (optionally grouped), pass rate per metric,
                   the alerts, the category tabs present, and small Vega-Lite specs
``traces``         one page of score rows: search (trace id, query, output), metric
                   filter, sort by recent or score, asc/desc - all in the engine
``failing``        the lowest-scoring rows below a threshold (15 by default)
``trace``          one record: input, output, expected, explanation, critique, grouped
                   signals and metadata, with every metric row of that record
``classification`` value counts and stacked trends of a CLASSIFICATION metric
``insights``       one page of ANALYSIS rows with parsed, grouped signals
``alerts``         alerts for the scope (granularity, scan)
"""

from __future__ import annotations

import html
import time
from typing import Any

import ibis
import pandas as pd

from .. import monitoring_config
from ..analytics import alerts as al
from ..analytics import classification as cl
from ..analytics import monitoring as mon
from ..analytics.compare import _int
from ..analytics.evals import _threshold
from ..analytics.filters import apply_filters
from ..analytics.memo import memo_expr
from ..errors import AxisError, QueryError
from ..ingest.jsonish import parse_jsonish
from . import ViewSpec, register_view
from .base import AxisView, is_remote, jsonable, records

VIEW = "monitor"
FILTER_KEYS = ("environment", "source_name", "source_component", "source_type", "model_name")
PRESETS = {"1h": pd.Timedelta(hours=1), "6h": pd.Timedelta(hours=6), "24h": pd.Timedelta(hours=24),
           "7d": pd.Timedelta(days=7), "30d": pd.Timedelta(days=30)}
TIME_OPTIONS = (*PRESETS, "all", "custom")
TRACE_COLUMNS = ["dataset_id", "trace_id", "timestamp", "model_name", "environment", "latency",
                 "source_name", "metric_name", "metric_score", "query", "actual_output"]
DETAIL_TEXT = ["query", "actual_output", "expected_output", "explanation", "critique"]
COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d"]


# ------------------------------------------------------------------ helpers
def _read(store, dataset: str, fn):
    if is_remote(store) or not hasattr(store, "read"):
        raise AxisError("monitor actions run where the data lives; call them through the server "
                        "(store.view_action) for a remote store.")
    return store.read(lambda cur: fn(store.context(cur, dataset)))


def _check(action: str, unknown: dict) -> None:
    if unknown:
        raise QueryError(f"monitor {action}: unknown parameter(s) {', '.join(sorted(unknown))}.")


def scope(store, dataset: str, filters=None, time: str | None = "24h", time_range=None,
          anchor: str = "data") -> dict:
    """The analytics filter dict for the UI's filters and time window."""
    if filters not in (None, "") and not isinstance(filters, dict):
        raise QueryError("filters must be an object such as {\"environment\": \"prod\"}.")
    out = {}
    for k, v in (filters or {}).items():
        if v in (None, "", []):
            continue
        if k not in FILTER_KEYS and k not in ("metric_name",):
            raise QueryError(f"monitor filters are {', '.join(FILTER_KEYS)} (got {k!r}).")
        out[k] = v
    time = time or "all"
    if time not in TIME_OPTIONS:
        raise QueryError(f"time must be one of {', '.join(TIME_OPTIONS)}, got {time!r}.")
    if time == "custom":
        if not isinstance(time_range, (list, tuple)) or len(time_range) != 2:
            raise QueryError("a custom time window needs time_range = [start, end].")
        out["time_range"] = [time_range[0] or None, time_range[1] or None]
    elif time != "all":
        if anchor == "now":
            end = pd.Timestamp.now(tz="UTC").tz_localize(None)
        elif anchor == "data":
            tr = store.info(dataset).get("time_range") or [None, None]
            end = pd.Timestamp(tr[1]) if tr[1] else pd.Timestamp.now(tz="UTC").tz_localize(None)
        else:
            raise QueryError("anchor must be data or now.")
        end = end + pd.Timedelta(microseconds=1)  # the end is exclusive; keep the newest row
        out["time_range"] = [(end - PRESETS[time]).isoformat(), end.isoformat()]
    return out


def _options(store, dataset: str) -> dict:
    info = store.info(dataset)
    fv = info.get("filter_values", {})
    return {"filters": {k: fv.get(k, []) for k in FILTER_KEYS if fv.get(k)},
            "metrics": fv.get("metric_name", []),
            "categories": [c for c in ("SCORE", "CLASSIFICATION", "ANALYSIS")
                           if c in [str(x).upper() for x in fv.get("metric_category", ["SCORE"])]],
            "time_range": info.get("time_range"), "time_options": list(TIME_OPTIONS),
            "latency_unit": info.get("latency_unit", "ms")}


@memo_expr
def _summary_expr(ctx, filters, threshold: float):
    t = mon._category(al.scores_table(ctx, filters), "SCORE")
    t = t.filter(t.metric_score.notnull())
    s = t.metric_score
    return t.aggregate(n=s.count(), avg=s.mean(), pass_rate=(s >= threshold).mean())


def _summary(ctx, filters, threshold: float) -> dict:
    r = ctx.execute(_summary_expr(ctx, filters, threshold)).iloc[0]
    return {"scores": int(r["n"] or 0), "avg_score": None if pd.isna(r["avg"]) else float(r["avg"]),
            "pass_rate": None if pd.isna(r["pass_rate"]) else float(r["pass_rate"])}


# ------------------------------------------------------------------ Vega-Lite specs
def trend_spec(rows: list[dict], good: float, pass_: float, granularity: str) -> dict:
    """Score per metric over time: a p50-p95 band and the mean line per metric, dashed
    good/pass reference lines; the legend toggles metrics."""
    fmt = "%b %d %H:%M" if granularity == "hour" else "%b %d"
    color = {"field": "metric_name", "type": "nominal", "title": "Metric", "scale": {"range": COLORS}}
    x = {"field": "bucket", "type": "temporal", "title": None, "axis": {"format": fmt}}
    sel = {"name": "legend", "select": {"type": "point", "fields": ["metric_name"]}, "bind": "legend"}
    op = {"condition": {"param": "legend", "value": 1}, "value": 0.12}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container", "height": 220, "title": "Score trend",
        "datasets": {"trends": rows, "refs": [{"y": good, "label": f"good {good:g}"},
                                               {"y": pass_, "label": f"pass {pass_:g}"}]},
        "layer": [
            {"data": {"name": "trends"}, "mark": {"type": "area", "opacity": 0.15},
             "encoding": {"x": x, "y": {"field": "p50", "type": "quantitative"},
                          "y2": {"field": "p95"}, "color": color}},
            {"data": {"name": "trends"}, "params": [sel], "mark": {"type": "line", "point": True},
             "encoding": {"x": x, "y": {"field": "avg", "type": "quantitative", "title": "Mean score",
                                        "scale": {"domain": [0, 1]}},
                          "color": color, "opacity": op,
                          "tooltip": [{"field": "metric_name", "title": "Metric"},
                                      {"field": "bucket", "type": "temporal", "format": fmt},
                                      {"field": "avg", "format": ".3f", "title": "Avg"},
                                      {"field": "p50", "format": ".3f", "title": "P50"},
                                      {"field": "p95", "format": ".3f", "title": "P95"},
                                      {"field": "p99", "format": ".3f", "title": "P99"},
                                      {"field": "count", "title": "n"}]}},
            {"data": {"name": "refs"}, "mark": {"type": "rule", "strokeDash": [4, 4]},
             "encoding": {"y": {"field": "y", "type": "quantitative"},
                          "color": {"value": "#9ca3af"}, "tooltip": [{"field": "label"}]}},
        ],
    }


def latency_spec(bins: list[dict], pct: dict, grouped: bool, unit: str) -> dict:
    enc = {"x": {"field": "bin_start", "type": "quantitative", "bin": {"binned": True},
                 "title": f"Latency ({unit})"},
           "x2": {"field": "bin_end"},
           "y": {"field": "count", "type": "quantitative", "title": "Records"},
           "tooltip": [{"field": "bin_start", "format": ",.0f", "title": "from"},
                       {"field": "bin_end", "format": ",.0f", "title": "to"}, {"field": "count"}]}
    if grouped:
        enc["color"] = {"field": "group", "type": "nominal", "title": None, "scale": {"range": COLORS}}
        enc["y"]["stack"] = None
        enc["opacity"] = {"value": 0.6}
    marks = [{"p": "p50", "c": "#16a34a"}, {"p": "p95", "c": "#d97706"}, {"p": "p99", "c": "#dc2626"}]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container", "height": 180, "title": "Latency distribution",
        "datasets": {"bins": bins,
                     "pct": [{"name": m["p"].upper(), "value": pct.get(m["p"]), "color": m["c"]}
                             for m in marks if pct.get(m["p"]) is not None]},
        "layer": [
            {"data": {"name": "bins"}, "mark": {"type": "bar"}, "encoding": enc},
            {"data": {"name": "pct"}, "mark": {"type": "rule", "strokeDash": [2, 2], "strokeWidth": 2},
             "encoding": {"x": {"field": "value", "type": "quantitative"},
                          "color": {"field": "color", "type": "nominal", "scale": None},
                          "tooltip": [{"field": "name"}, {"field": "value", "format": ",.0f"}]}},
        ],
    }


def pass_rate_spec(rows: list[dict]) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": "container", "height": {"step": 22}, "title": "Metric pass rates",
        "datasets": {"rates": rows, "refs": [{"x": 0.5}, {"x": 0.7}]},
        "layer": [
            {"data": {"name": "rates"}, "mark": {"type": "bar"},
             "encoding": {"y": {"field": "metric_name", "type": "nominal", "title": None},
                          "x": {"field": "pass_rate", "type": "quantitative", "title": "Pass rate",
                                "axis": {"format": "%"}, "scale": {"domain": [0, 1]}},
                          "color": {"field": "band", "type": "nominal", "legend": None,
                                    "scale": {"domain": ["good", "warn", "bad"],
                                              "range": ["#16a34a", "#d97706", "#dc2626"]}},
                          "tooltip": [{"field": "metric_name"}, {"field": "pass_rate", "format": ".1%"},
                                      {"field": "avg", "format": ".3f"}, {"field": "count", "title": "n"}]}},
            {"data": {"name": "refs"}, "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#9ca3af"},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        ],
    }


def _band(rate) -> str:
    if rate is None:  # a metric without scores
        return "bad"
    return "good" if rate >= 0.7 else "warn" if rate >= 0.5 else "bad"


# ------------------------------------------------------------------ actions
def payload(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data",
            granularity="hour", bins=20, group_by=None, threshold=0.5, **unknown) -> dict:
    """Everything the Score tab shows plus the tabs, options and alerts; see the module doc."""
    _check("payload", unknown)
    t0 = time_mod.perf_counter()
    f = scope(store, dataset, filters, time, time_range, anchor)
    th = _threshold(threshold)
    cfg = monitoring_config.load_monitoring()
    src = f.get("source_name") if isinstance(f.get("source_name"), str) else None
    refs = monitoring_config.source_thresholds(cfg, src)
    fa = f or None
    duckdb_s = [0.0]

    def q(ctx):
        run = ctx.run

        def timed_run(expr):  # DuckDB's share of the request (query + fetch), for the timing
            t = time_mod.perf_counter()
            try:
                return run(expr)
            finally:
                duckdb_s[0] += time_mod.perf_counter() - t

        ctx.run = timed_run
        out: dict[str, Any] = {"summary": _summary(ctx, fa, th)}
        out["trends"] = mon.trends(ctx, granularity=granularity, filters=fa)
        try:  # a dataset without (per-record) latencies has no latency panel...
            out["latency"] = mon.latency(ctx, filters=fa)
        except QueryError:
            out["latency"] = out["histogram"] = None
        if out["latency"] is not None:  # ...but a bad bins or group_by is the caller's error
            out["histogram"] = mon.latency_histogram(ctx, bins=bins, by=group_by or None, filters=fa)
            if group_by:
                out["latency_by"] = mon.latency(ctx, by=group_by, filters=fa)
        out["pass_rates"] = mon.pass_rates(ctx, threshold=th, filters=fa)
        out["alerts"] = al.alerts(ctx, granularity=granularity, filters=fa, config=None)
        return out

    t_q = time_mod.perf_counter()
    r = _read(store, dataset, q)
    analytics_s = time_mod.perf_counter() - t_q
    # Row lists from here on: pandas operations on these few rows cost more than the rows.
    lat = records(r["latency"])[:1] if r["latency"] is not None else []
    pct = {k: lat[0][k] for k in ("p50", "p95", "p99")} if lat and lat[0]["p50"] is not None else {}
    trends = records(r["trends"])
    rate_rows = [{**row, "band": _band(row["pass_rate"])} for row in records(r["pass_rates"])]
    alerts = records(r["alerts"])
    severities = [a["severity"] for a in alerts]
    opts = _options(store, dataset)
    hist = records(r["histogram"]) if r["histogram"] is not None else []
    # The frames are already JSON-safe (``records``); only the small parts are walked.
    out = {
        "view": VIEW, "dataset": dataset, "scope": jsonable(f), "time": time, "granularity": granularity,
        "threshold": th, "thresholds": jsonable(refs), "options": jsonable(opts),
        "kpis": jsonable({
            "avg_score": r["summary"]["avg_score"], "pass_rate": r["summary"]["pass_rate"],
            "scores": r["summary"]["scores"], "p95_latency": pct.get("p95"),
            "alerts": len(alerts), "errors": severities.count("error"), "warnings": severities.count("warning"),
            "avg_text": None if r["summary"]["avg_score"] is None else (
                "Above threshold" if r["summary"]["avg_score"] >= refs["good"] else f"Below {refs['good']:g}"),
            "pass_text": None if r["summary"]["pass_rate"] is None else (
                "Above target" if r["summary"]["pass_rate"] >= cfg["threshold_alerts"]["pass_rate_min"]
                else f"Below {cfg['threshold_alerts']['pass_rate_min']:.0%}"),
        }),
        "trends": trends,
        "latency": {"percentiles": jsonable(pct), "bins": hist, "group_by": group_by,
                    "by_group": records(r["latency_by"]) if group_by and "latency_by" in r else None},
        "pass_rates": rate_rows,
        "alerts": alerts,
        "charts": {
            "trend": trend_spec(trends, refs["good"], refs["pass"], granularity) if trends else None,
            "latency": latency_spec(hist, pct, bool(group_by), opts["latency_unit"]) if hist else None,
            "pass_rates": pass_rate_spec(rate_rows) if rate_rows else None,
        },
    }
    out["empty"] = not trends and not out["kpis"]["scores"]
    # duckdb_ms: the queries alone; analytics_ms: the engine's answer (queries plus the
    # detectors and post-processing in Python); total_ms: the whole action (plus the specs).
    out["timing"] = {"total_ms": round((time_mod.perf_counter() - t0) * 1000, 2),
                     "analytics_ms": round(analytics_s * 1000, 2),
                     "duckdb_ms": round(duckdb_s[0] * 1000, 2)}
    return out


def traces(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", search=None,
           metric=None, sort="recent", descending=True, page=1, page_size=20, **unknown) -> dict:
    """One page of score rows (server-side search, metric filter, sort and paging)."""
    _check("traces", unknown)
    f = scope(store, dataset, filters, time, time_range, anchor)
    try:
        page, page_size = int(page), int(page_size)
    except (TypeError, ValueError):
        raise QueryError("page and page_size must be integers.") from None
    if page < 1 or not 1 <= page_size <= 200:
        raise QueryError("page must be >= 1 and page_size between 1 and 200.")
    if sort not in ("recent", "score"):
        raise QueryError("sort must be recent or score.")

    def q(ctx):
        t = mon._category(apply_filters(ctx.table("full"), f), "SCORE")
        if metric:
            t = t.filter(t.metric_name == str(metric))
        if search:
            s = str(search).lower()
            pred = None
            for c in ("trace_id", "dataset_id", "query", "actual_output"):
                if c in t.columns and t[c].type().is_string():
                    p = t[c].lower().contains(s)
                    pred = p if pred is None else pred | p
            if pred is not None:
                t = t.filter(pred)
        if sort == "recent" and "timestamp" not in t.columns:
            raise QueryError("this dataset has no timestamp column: sort by score instead.")
        total = int(ctx.execute(t.aggregate(n=ibis._.count()))["n"].iloc[0])
        key = t.timestamp if sort == "recent" else t.metric_score
        tie = [ibis.asc(t[c]) for c in ("dataset_id", "metric_name") if c in t.columns]
        order = [key.isnull(), ibis.desc(key) if descending else ibis.asc(key), *tie]
        cols = [c for c in TRACE_COLUMNS if c in t.columns]
        return total, ctx.execute(t.order_by(order).select(*cols).limit(page_size, offset=(page - 1) * page_size))

    total, df = _read(store, dataset, q)
    return jsonable({"total": total, "page": page, "page_size": page_size, "pages": max(1, -(-total // page_size)),
                     "sort": sort, "descending": bool(descending), "rows": records(df)})


def failing(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", threshold=0.5,
            limit=15, **unknown) -> dict:
    """The lowest-scoring rows below ``threshold`` (Top Failing Outputs)."""
    _check("failing", unknown)
    f = scope(store, dataset, filters, time, time_range, anchor)
    th, limit = _threshold(threshold), _int(limit, "limit", 1, 100)

    def q(ctx):
        t = mon._category(apply_filters(ctx.table("full"), f), "SCORE")
        t = t.filter(t.metric_score < th)
        tie = [ibis.asc(t[c]) for c in ("dataset_id", "metric_name") if c in t.columns]
        cols = [c for c in TRACE_COLUMNS if c in t.columns]
        return ctx.execute(t.order_by([ibis.asc(t.metric_score), *tie]).select(*cols).limit(limit))

    df = _read(store, dataset, q)
    rows = records(df)
    for r in rows:
        r["severity"] = "bad" if r["metric_score"] < th / 2 else "warn"
    return jsonable({"threshold": th, "rows": rows})


def trace(store, dataset: str, dataset_id=None, trace_id=None, metric=None, **unknown) -> dict:
    """One record for the detail panel: text fields, every metric row, grouped signals."""
    _check("trace", unknown)
    if not dataset_id and not trace_id:
        raise QueryError("trace needs a dataset_id or a trace_id.")

    def q(ctx):
        t = ctx.table("full")
        key = "dataset_id" if dataset_id else "trace_id"
        if key not in t.columns:
            raise QueryError(f"this dataset has no {key} column.")
        t = t.filter(t[key] == str(dataset_id or trace_id))
        cols = [c for c in t.columns if not c.startswith("_axis")]
        return ctx.execute(t.select(*cols).order_by("metric_name").limit(500))

    df = _read(store, dataset, q)
    if df.empty:
        raise QueryError(f"no record {dataset_id or trace_id!r} in {dataset}.")
    rows = df.to_dict("records")
    focus = next((r for r in rows if metric and r.get("metric_name") == metric), rows[0])
    known = set(DETAIL_TEXT) | {"metric_name", "metric_score", "metric_category", "signals", "dataset_id",
                                "trace_id", "timestamp", "model_name", "environment", "latency", "weight"}
    metrics = [{"metric_name": r.get("metric_name"), "metric_score": r.get("metric_score"),
                "metric_category": r.get("metric_category"), "explanation": r.get("explanation"),
                "signals": cl.group_signals(r.get("signals"))} for r in rows]
    meta = {k: v for k, v in focus.items() if k not in known and v is not None and not (isinstance(v, float) and pd.isna(v))}
    for k in list(meta):
        meta[k] = parse_jsonish(meta[k]) if isinstance(meta[k], str) else meta[k]
    out = {k: focus.get(k) for k in ("dataset_id", "trace_id", "timestamp", "model_name", "environment", "latency",
                                     "metric_name", "metric_score", "weight", *DETAIL_TEXT)}
    out.update({"signals": cl.group_signals(focus.get("signals")), "metadata": meta, "metrics": metrics})
    return jsonable(out)


def classification(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", metric=None,
                   category_source="explanation", granularity="hour", **unknown) -> dict:
    """Value counts and stacked trends of one CLASSIFICATION metric (the first by default)."""
    _check("classification", unknown)
    f = scope(store, dataset, filters, time, time_range, anchor) or None

    def q(ctx):
        counts = cl.classification(ctx, category_source=category_source, filters=f)
        names = sorted(counts["metric_name"].unique().tolist())
        m = metric or (names[0] if names else None)
        trend = (cl.classification_trends(ctx, metric=m, granularity=granularity, category_source=category_source,
                                          filters=f) if m else pd.DataFrame())
        return names, m, counts, trend

    names, m, counts, trend = _read(store, dataset, q)
    sub = counts[counts["metric_name"] == m] if m else counts
    return jsonable({"metrics": names, "metric": m, "category_source": category_source,
                     "total": int(sub["count"].sum()) if len(sub) else 0, "unique": int(len(sub)),
                     "counts": records(sub), "trends": records(trend)})


def insights(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", metric=None,
             search=None, sort_by="timestamp", descending=True, page=1, limit=15, **unknown) -> dict:
    """One page of ANALYSIS rows with grouped signals."""
    _check("insights", unknown)
    f = scope(store, dataset, filters, time, time_range, anchor) or None
    df = _read(store, dataset, lambda ctx: cl.insights(ctx, metric=metric, page=page, limit=limit, search=search,
                                                       sort_by=sort_by, descending=descending, filters=f))
    total = int(df.attrs.get("total_count", 0))
    rows = records(df.drop(columns=["total_count"]))
    for r in rows:
        r["signal_groups"] = cl.group_signals(r.get("signals"))
    return jsonable({"total": total, "page": int(page), "limit": int(limit), "metrics": df.attrs.get("metric_names", []),
                     "pages": max(1, -(-total // int(limit))), "rows": rows})


def alerts(store, dataset: str, filters=None, time="all", time_range=None, anchor="data", granularity="day",
           scan=False, **unknown) -> dict:
    """Alerts for the scope, grouped for the Alerts tab."""
    _check("alerts", unknown)
    f = scope(store, dataset, filters, time, time_range, anchor) or None
    df = _read(store, dataset, lambda ctx: al.alerts(ctx, granularity=granularity, scan=scan, filters=f))
    rows = records(df)
    groups = [{"group": g, "title": "Threshold Alerts" if g == "threshold" else "Anomaly Detection",
               "alerts": [r for r in rows if r["group"] == g]} for g in ("threshold", "anomaly")]
    return jsonable({"errors": sum(r["severity"] == "error" for r in rows),
                     "warnings": sum(r["severity"] == "warning" for r in rows),
                     "groups": [g for g in groups if g["alerts"]], "nominal": not rows})


time_mod = time  # the module, kept under another name: actions take a ``time`` parameter


# ------------------------------------------------------------------ widget
class Monitor(AxisView):
    """Production monitoring of a dataset: filters and time window, category tabs, KPI
    cards, score trends with bands, latency histogram, pass rates, failing outputs, a
    trace table and trace details, classification, analysis insights and alerts.

    ``Monitor(ds, time="7d", granularity="day", filters={"environment": "prod"})``;
    ``w.call("traces", {"search": "refund"})`` runs the same action the front end does.
    """

    view_name = VIEW

    def __init__(self, ds_or_name=None, store=None, *, time="24h", granularity=None, filters=None,
                 anchor="data", **kwargs):
        params: dict[str, Any] = {"filters": dict(filters or {}), "time": time, "anchor": anchor,
                                  "granularity": granularity or ("day" if time in ("7d", "30d", "all") else "hour")}
        super().__init__(ds_or_name, store, params=params, **kwargs)

    def payload_params(self) -> dict:
        keys = ("filters", "time", "time_range", "anchor", "granularity", "bins", "group_by", "threshold")
        return {k: self.params[k] for k in keys if k in self.params}

    @property
    def kpis(self) -> dict:
        return dict(self.snapshot.get("kpis", {}))

    def static_html(self) -> str:
        return static_html(self.snapshot)


def static_html(snap: dict) -> str:
    if not snap:
        return "<div>AXIS monitor (no data rendered yet)</div>"
    e = html.escape
    k = snap.get("kpis", {})

    def fmt(v, pct=False):
        return "—" if v is None else (f"{v * 100:.1f}%" if pct else f"{v:,.3f}" if v < 10 else f"{v:,.0f}")

    cards = [("Avg score", fmt(k.get("avg_score"))), ("Pass rate", fmt(k.get("pass_rate"), True)),
             ("P95 latency", fmt(k.get("p95_latency"))), ("Active alerts", str(k.get("alerts", 0)))]
    card_html = "".join(f"<div style='border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px'>"
                        f"<div style='color:#6b7280;font-size:11px'>{e(a)}</div><b>{e(b)}</b></div>" for a, b in cards)
    rates = "".join(f"<tr><td>{e(str(r['metric_name']))}</td><td>{fmt(r['pass_rate'], True)}</td>"
                    f"<td>{fmt(r['avg'])}</td><td>{r['count']:,}</td></tr>" for r in snap.get("pass_rates", []))
    alerts = "".join(f"<li>{e(str(a['severity']))}: {e(str(a['message']))}</li>" for a in snap.get("alerts", [])[:20])
    return ("<div class='axis-static axis-monitor' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<div style='font-weight:600;margin-bottom:6px'>Monitor — {e(snap.get('dataset', ''))} "
            f"({e(str(snap.get('time')))})</div>"
            f"<div style='display:flex;gap:8px;margin-bottom:8px'>{card_html}</div>"
            "<table><thead><tr><th>Metric</th><th>Pass rate</th><th>Avg</th><th>n</th></tr></thead>"
            f"<tbody>{rates}</tbody></table>"
            f"<ul>{alerts or '<li>All systems nominal</li>'}</ul></div>")


OPTIONS = {"time", "granularity", "anchor", "environment", "source_name", "source_component", "source_type",
           "model_name"}


def widget(store, dataset=None, **options):
    """Factory for ``%axis show monitor [DATASET] [time=24h] [granularity=hour] [environment=prod]``."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise QueryError(f"monitor options are {', '.join(sorted(OPTIONS))} (got {', '.join(sorted(unknown))}).")
    if dataset is None:
        ds = store.datasets()
        names = ds[ds["kind"] == "monitoring"]["name"].tolist() if len(ds) else []
        if len(names) != 1:
            raise QueryError("name the dataset: %axis show monitor NAME "
                             f"(monitoring datasets: {', '.join(names) or 'none'}).")
        dataset = names[0]
    filters = {k: options.pop(k) for k in list(options) if k in FILTER_KEYS}
    return Monitor(dataset, store=store, filters=filters, **options)


register_view(ViewSpec(
    name=VIEW,
    description="Production monitor: KPIs, score trends, latency, pass rates, traces, classification, alerts",
    widget=widget,
    actions={"payload": payload, "traces": traces, "failing": failing, "trace": trace,
             "classification": classification, "insights": insights, "alerts": alerts},
    kinds=("monitoring",),
))

__all__ = ["Monitor", "payload", "traces", "failing", "trace", "classification", "insights", "alerts", "scope"]
