"""What the production monitor shows (reference: upstream-ui.md §1.3, catalogue rows 35-45).

Every action takes ``filters`` (environment, source_name, source_component, source_type,
model_name: a value or a list) and a time window: ``time`` = 1h | 6h | 24h | 7d | 30d | all |
custom (with ``time_range`` = [start, end]); see :func:`~axis_jupyter.payloads.params.time_scope`.

``payload``        filter options, KPI cards (average score, pass rate, p95 latency, alert
                   count), score trends with p50-p95 bands and good/pass lines, the latency
                   histogram with p50/p95/p99 (optionally grouped), pass rate per metric,
                   the alerts, the category tabs present, and their charts
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

import threading
import time as time_mod  # actions take a ``time`` parameter
from typing import Any

import ibis
import pandas as pd

from ..analytics import monitoring
from ..analytics.alerts import alerts as find_alerts
from ..analytics.alerts import scores_table
from ..analytics.classification import classification as category_counts
from ..analytics.classification import classification_trends, group_signals
from ..analytics.classification import insights as analysis_rows
from ..analytics.context import path_of
from ..analytics.filters import apply_filters
from ..analytics.memo import memo_expr
from ..branding import agents_for
from ..errors import QueryError
from ..ingest.jsonish import parse_jsonish
from ..wire import jsonable, records
from . import params
from .registry import ViewSpec, chart
from .series import mark_series
from .series import window as series_window
from .units import latency_unit

VIEW = "monitor"
TRACE_COLUMNS = ["dataset_id", "trace_id", "timestamp", "model_name", "environment", "latency",
                 "source_name", "metric_name", "metric_score", "query", "actual_output"]
DETAIL_TEXT = ["query", "actual_output", "expected_output", "explanation", "critique"]


def _scope(store, dataset, filters, time, time_range, anchor) -> dict:
    return params.time_scope(store.info(dataset), filters, time, time_range, anchor)


def _options(info: dict) -> dict:
    fv = info.get("filter_values", {})
    return {"filters": {k: fv.get(k, []) for k in params.MONITOR_FILTERS if fv.get(k)},
            "metrics": fv.get("metric_name", []),
            "categories": [c for c in ("SCORE", "CLASSIFICATION", "ANALYSIS")
                           if c in [str(x).upper() for x in fv.get("metric_category", ["SCORE"])]],
            "time_range": info.get("time_range"), "time_options": list(params.TIME_OPTIONS),
            "latency_unit": info.get("latency_unit", "ms")}


@memo_expr
def _summary_expr(ctx, filters, threshold: float):
    t = monitoring._category(scores_table(ctx, filters), "SCORE")
    t = t.filter(t.metric_score.notnull())
    s = t.metric_score
    return t.aggregate(n=s.count(), avg=s.mean(), pass_rate=(s >= threshold).mean())


def _summary(ctx, filters, threshold: float) -> dict:
    def raw() -> dict:
        r = ctx.execute(_summary_expr(ctx, filters, threshold)).iloc[0]
        return {"scores": int(r["n"] or 0), "avg_score": None if pd.isna(r["avg"]) else float(r["avg"]),
                "pass_rate": None if pd.isna(r["pass_rate"]) else float(r["pass_rate"])}

    return ctx.answer("score_summary", raw, filters=filters, threshold=threshold)


_SIDE: list = []
_SIDE_LOCK = threading.Lock()


def _side_pool():
    """The threads that start the other reads of :func:`_side_by_side` (each waits on the
    store's own read pool, which bounds the queries): one pool for the process, made on
    first use, not one per payload."""
    with _SIDE_LOCK:
        if not _SIDE:
            from concurrent.futures import ThreadPoolExecutor
            _SIDE.append(ThreadPoolExecutor(8, thread_name_prefix="axis-side-read"))
        return _SIDE[0]


def _side_by_side(store, dataset: str, reads, timing: dict) -> list:
    """The results of view reads ``reads`` (each ``fn(ctx)``), run at once on the store's
    worker threads, each on its own cursor: the alerts (three series) beside the rest, so a
    filter change waits for the longer of the two, not their sum, on two cores. ``timing``
    takes the longest read's compile and DuckDB milliseconds (what the answer waited for;
    so they stay within ``analytics_ms``) and ``duckdb_sum_ms``, all reads' DuckDB time. An
    attached dataset's engine connection reads them one after the other."""
    import contextvars

    timings = [{} for _ in reads]
    if store.info(dataset).get("attached") or len(reads) < 2:
        out = [store.view_read(dataset, fn, t) for fn, t in zip(reads, timings)]
    else:
        # the caller's read budget (a context variable) bounds the other reads too
        later = [_side_pool().submit(contextvars.copy_context().run, store.view_read, dataset, fn, t)
                 for fn, t in zip(reads[1:], timings[1:])]
        out = [store.view_read(dataset, reads[0], timings[0]), *(f.result() for f in later)]
    for key in ("compile_ms", "duckdb_ms"):
        timing[key] = max(t.get(key, 0.0) for t in timings)
    timing["duckdb_sum_ms"] = sum(t.get("duckdb_ms", 0.0) for t in timings)
    return out


def payload(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data",
            granularity="hour", bins=20, group_by=None, threshold=0.5, **unknown) -> dict:
    """Everything the Score tab shows plus the tabs, options and alerts; see the module doc."""
    params.no_unknown(VIEW, "payload", unknown)
    t0 = time_mod.perf_counter()
    info = store.info(dataset)
    f = params.time_scope(info, filters, time, time_range, anchor)
    th = params.threshold(threshold)
    cfg, refs = params.source_bands(f)
    fa = f or None

    def q(ctx):
        out: dict[str, Any] = {"summary": _summary(ctx, fa, th)}
        out["trends"] = monitoring.trends(ctx, granularity=granularity, filters=fa)
        try:  # a dataset without (per-record) latencies has no latency panel...
            out["latency"] = monitoring.latency(ctx, filters=fa)
        except QueryError:
            out["latency"] = out["histogram"] = None
        if out["latency"] is not None:  # ...but a bad bins or group_by is the caller's error
            out["histogram"] = monitoring.latency_histogram(ctx, bins=bins, by=group_by or None, filters=fa)
            if group_by:
                out["latency_by"] = monitoring.latency(ctx, by=group_by, filters=fa)
        out["pass_rates"] = monitoring.pass_rates(ctx, threshold=th, filters=fa)
        out["paths"] = list(ctx.paths)
        return out

    def q_alerts(ctx):
        return {"alerts": find_alerts(ctx, granularity=granularity, filters=fa, config=None),
                "paths": list(ctx.paths)}

    timing: dict[str, float] = {}
    t_q = time_mod.perf_counter()
    r, found = _side_by_side(store, dataset, (q, q_alerts), timing)
    r["alerts"] = found["alerts"]
    r["paths"] = r["paths"] + found["paths"]
    # which requests the summaries answered: "summary" (all), "raw" (none) or "mixed"
    r["path"] = path_of(r["paths"]) or "raw"
    analytics_s = time_mod.perf_counter() - t_q
    # Row lists from here on: pandas operations on these few rows cost more than the rows.
    lat = records(r["latency"])[:1] if r["latency"] is not None else []
    pct = {k: lat[0][k] for k in ("p50", "p95", "p99")} if lat and lat[0]["p50"] is not None else {}
    trends = mark_series(records(r["trends"]), granularity, *series_window(f, info))
    rate_rows = [{**row, "band": params.band(row["pass_rate"], missing="bad")} for row in records(r["pass_rates"])]
    alerts = records(r["alerts"])
    severities = [a["severity"] for a in alerts]
    opts = _options(info)
    opts["latency_unit"] = latency_unit(info.get("latency_unit"), pct.get("p50"))
    hist = records(r["histogram"]) if r["histogram"] is not None else []
    summary = r["summary"]
    pass_min = cfg["threshold_alerts"]["pass_rate_min"]
    # The frames are already JSON-safe (``records``); only the small parts are walked.
    out = {
        "view": VIEW, "dataset": dataset, "scope": jsonable(f), "time": time, "granularity": granularity,
        "threshold": th, "thresholds": jsonable(refs), "options": jsonable(opts),
        "kpis": jsonable({
            "avg_score": summary["avg_score"], "pass_rate": summary["pass_rate"],
            "scores": summary["scores"], "p95_latency": pct.get("p95"),
            "alerts": len(alerts), "errors": severities.count("error"), "warnings": severities.count("warning"),
            "avg_text": None if summary["avg_score"] is None else (
                "Above threshold" if summary["avg_score"] >= refs["good"] else f"Below {refs['good']:g}"),
            "pass_text": None if summary["pass_rate"] is None else (
                "Above target" if summary["pass_rate"] >= pass_min else f"Below {pass_min:.0%}"),
        }),
        "trends": trends,
        "latency": {"percentiles": jsonable(pct), "bins": hist, "group_by": group_by,
                    "by_group": records(r["latency_by"]) if group_by and "latency_by" in r else None},
        "pass_rates": rate_rows,
        "alerts": alerts,
        "charts": {
            "trend": chart("trend", rows=trends, good=refs["good"], passing=refs["pass"],
                           granularity=granularity) if trends else None,
            "latency": chart("latency", bins=hist, percentiles=jsonable(pct), grouped=bool(group_by),
                             unit=opts["latency_unit"]) if hist else None,
            "pass_rates": chart("pass_rates", rows=rate_rows) if rate_rows else None,
        },
    }
    out["empty"] = not trends and not out["kpis"]["scores"]
    # duckdb_ms: the queries alone (of the longest of the reads run side by side;
    # duckdb_sum_ms: of all of them); analytics_ms: the engine's answer (queries plus the
    # detectors and post-processing in Python); total_ms: the whole action.
    out["timing"] = {"total_ms": round((time_mod.perf_counter() - t0) * 1000, 2),
                     "analytics_ms": round(analytics_s * 1000, 2),
                     "duckdb_ms": round(timing["duckdb_ms"], 2),
                     "duckdb_sum_ms": round(timing["duckdb_sum_ms"], 2),
                     "compile_ms": round(timing["compile_ms"], 2),
                     # which requests the summaries answered (the rest read the raw rows)
                     "path": r["path"], "paths": r["paths"]}
    return out


def traces(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", search=None,
           metric=None, sort="recent", descending=True, page=1, page_size=20, **unknown) -> dict:
    """One page of score rows (server-side search, metric filter, sort and paging)."""
    params.no_unknown(VIEW, "traces", unknown)
    f = _scope(store, dataset, filters, time, time_range, anchor)
    page, page_size = params.page(page, page_size, 200)
    if sort not in ("recent", "score"):
        raise QueryError("sort must be recent or score.")

    def q(ctx):
        t = monitoring._category(apply_filters(ctx.table("full"), f), "SCORE")
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

    total, df = store.view_read(dataset, q)
    agents = agents_for(df["source_name"].unique()) if "source_name" in df.columns else {}
    return jsonable({"total": total, "page": page, "page_size": page_size, "pages": max(1, -(-total // page_size)),
                     "sort": sort, "descending": bool(descending), "rows": records(df), "agents": agents})


def failing(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", threshold=0.5,
            limit=15, **unknown) -> dict:
    """The lowest-scoring rows below ``threshold`` (Top Failing Outputs)."""
    params.no_unknown(VIEW, "failing", unknown)
    f = _scope(store, dataset, filters, time, time_range, anchor)
    th, limit = params.threshold(threshold), params.integer(limit, "limit", 1, 100)

    def q(ctx):
        t = monitoring._category(apply_filters(ctx.table("full"), f), "SCORE")
        t = t.filter(t.metric_score < th)
        tie = [ibis.asc(t[c]) for c in ("dataset_id", "metric_name") if c in t.columns]
        cols = [c for c in TRACE_COLUMNS if c in t.columns]
        return ctx.execute(t.order_by([ibis.asc(t.metric_score), *tie]).select(*cols).limit(limit))

    rows = records(store.view_read(dataset, q))
    for r in rows:
        r["severity"] = "bad" if r["metric_score"] < th / 2 else "warn"
    return jsonable({"threshold": th, "rows": rows})


def trace(store, dataset: str, dataset_id=None, trace_id=None, metric=None, **unknown) -> dict:
    """One record for the detail panel: text fields, every metric row, grouped signals."""
    params.no_unknown(VIEW, "trace", unknown)
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

    df = store.view_read(dataset, q)
    if df.empty:
        raise QueryError(f"no record {dataset_id or trace_id!r} in {dataset}.")
    rows = df.to_dict("records")
    focus = next((r for r in rows if metric and r.get("metric_name") == metric), rows[0])
    known = set(DETAIL_TEXT) | {"metric_name", "metric_score", "metric_category", "signals", "dataset_id",
                                "trace_id", "timestamp", "model_name", "environment", "latency", "weight"}
    metrics = [{"metric_name": r.get("metric_name"), "metric_score": r.get("metric_score"),
                "metric_category": r.get("metric_category"), "explanation": r.get("explanation"),
                "signals": group_signals(r.get("signals"))} for r in rows]
    meta = {k: v for k, v in focus.items() if k not in known and v is not None and not (isinstance(v, float) and pd.isna(v))}
    for k in list(meta):
        meta[k] = parse_jsonish(meta[k]) if isinstance(meta[k], str) else meta[k]
    out = {k: focus.get(k) for k in ("dataset_id", "trace_id", "timestamp", "model_name", "environment", "latency",
                                     "metric_name", "metric_score", "weight", *DETAIL_TEXT)}
    out.update({"signals": group_signals(focus.get("signals")), "metadata": meta, "metrics": metrics})
    return jsonable(out)


def classification(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", metric=None,
                   category_source="explanation", granularity="hour", **unknown) -> dict:
    """Value counts and stacked trends of one CLASSIFICATION metric (the first by default)."""
    params.no_unknown(VIEW, "classification", unknown)
    f = _scope(store, dataset, filters, time, time_range, anchor) or None

    def q(ctx):
        counts = category_counts(ctx, category_source=category_source, filters=f)
        names = sorted(counts["metric_name"].unique().tolist())
        m = metric or (names[0] if names else None)
        trend = (classification_trends(ctx, metric=m, granularity=granularity, category_source=category_source,
                                          filters=f) if m else pd.DataFrame())
        return names, m, counts, trend

    names, m, counts, trend = store.view_read(dataset, q)
    sub = counts[counts["metric_name"] == m] if m else counts
    return jsonable({"metrics": names, "metric": m, "category_source": category_source,
                     "total": int(sub["count"].sum()) if len(sub) else 0, "unique": int(len(sub)),
                     "counts": records(sub), "trends": records(trend)})


def insights(store, dataset: str, filters=None, time="24h", time_range=None, anchor="data", metric=None,
             search=None, sort_by="timestamp", descending=True, page=1, limit=15, **unknown) -> dict:
    """One page of ANALYSIS rows with grouped signals."""
    params.no_unknown(VIEW, "insights", unknown)
    f = _scope(store, dataset, filters, time, time_range, anchor) or None
    df = store.view_read(dataset, lambda ctx: analysis_rows(ctx, metric=metric, page=page, limit=limit, search=search,
                                                           sort_by=sort_by, descending=descending, filters=f))
    total = int(df.attrs.get("total_count", 0))
    rows = records(df.drop(columns=["total_count"]))
    for r in rows:
        r["signal_groups"] = group_signals(r.get("signals"))
    return jsonable({"total": total, "page": int(page), "limit": int(limit), "metrics": df.attrs.get("metric_names", []),
                     "pages": max(1, -(-total // int(limit))), "rows": rows})


def alerts(store, dataset: str, filters=None, time="all", time_range=None, anchor="data", granularity="day",
           scan=False, **unknown) -> dict:
    """Alerts for the scope, grouped for the Alerts tab."""
    params.no_unknown(VIEW, "alerts", unknown)
    f = _scope(store, dataset, filters, time, time_range, anchor) or None
    rows = records(store.view_read(dataset, lambda ctx: find_alerts(ctx, granularity=granularity, scan=scan, filters=f)))
    groups = [{"group": g, "title": "Threshold Alerts" if g == "threshold" else "Anomaly Detection",
               "alerts": [r for r in rows if r["group"] == g]} for g in ("threshold", "anomaly")]
    return jsonable({"errors": sum(r["severity"] == "error" for r in rows),
                     "warnings": sum(r["severity"] == "warning" for r in rows),
                     "groups": [g for g in groups if g["alerts"]], "nominal": not rows})


SPEC = ViewSpec(
    name=VIEW,
    description="Production monitor: KPIs, score trends, latency, pass rates, traces, classification, alerts",
    actions={"payload": payload, "traces": traces, "failing": failing, "trace": trace,
             "classification": classification, "insights": insights, "alerts": alerts},
    kinds=("monitoring",),
    requires=("metric_name", "metric_score", "timestamp"),
    data="monitoring data: scored records with a timestamp",
)
