"""The monitor view's KPIs, pass rates and latency percentiles come from summaries when its
filters are keys and its time window whole days (or all) or whole hours of the newest 24, equal
to the raw rows (DuckDB and PostgreSQL for the analytics; the view on DuckDB)."""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter import demo
from axis_jupyter.analytics import monitoring
from axis_jupyter.payloads import monitor
from axis_jupyter.summaries.daily import DAY_BOUND
from axis_jupyter.summaries.latency import BOUND


@pytest.fixture
def mstore(store):
    store.load(demo.monitoring_records(1500, days=5, seed=4), name="m", kind="monitoring")
    return store


@pytest.mark.parametrize("filters", [None, {"environment": "prod"},
                                     {"source_name": ["Atlas", "Nova"], "environment": "staging"},
                                     {"time_range": ["2026-01-21", "2026-01-23"]}])
def test_pass_rates_from_summaries_equal_raw(mstore, contexts, filters):
    make = contexts(mstore, "m")
    for th, by in ((0.5, None), (0.7, "environment")):
        ctx = make()
        fast = monitoring.pass_rates(ctx, threshold=th, by=by, filters=filters)
        assert ctx.paths[-1]["path"] == "summary", ctx.paths[-1]
        raw = monitoring.pass_rates(make(), threshold=th, by=by, filters=filters, exact=True)
        assert len(raw) > 0
        for col in ("metric_name", "count", "pass_rate", *([by] if by else [])):
            assert fast[col].tolist() == raw[col].tolist(), col
        assert fast["avg"].tolist() == pytest.approx(raw["avg"].tolist(), rel=1e-9)


@pytest.mark.parametrize("time,granularity", [("all", "day"), ("24h", "hour"), ("6h", "hour")])
def test_the_monitor_view_says_what_summaries_answered(mstore, monkeypatch, time, granularity):
    """Whole days (the day tables) and the default window, the last 24 hours in hourly
    buckets (the hour tables), answered from summaries as the raw rows answer them."""
    def payload(**kw):
        out = monitor.payload(mstore, "m", time=time, granularity=granularity,
                              filters={"environment": "prod"}, **kw)
        return out, {p["what"]: p["path"] for p in out["timing"]["paths"]}

    fast, kinds = payload()
    # the demo data has CLASSIFICATION rows, whose labels the summaries do not keep
    assert fast["timing"]["path"] == "mixed"
    assert {w for w, p in kinds.items() if p == "raw"} == {"class_series"}
    assert {"score_summary", "pass_rates", "latency", "trends", "latency_histogram", "score_series",
            "record_series"} <= set(kinds)
    monkeypatch.setenv("AXIS_SUMMARIES", "off")
    raw, _ = payload()
    assert raw["timing"]["path"] == "raw"
    assert fast["kpis"]["scores"] == raw["kpis"]["scores"] > 0
    assert fast["kpis"]["pass_rate"] == raw["kpis"]["pass_rate"]
    assert fast["kpis"]["avg_score"] == pytest.approx(raw["kpis"]["avg_score"], rel=1e-9)
    assert [(r["metric_name"], r["count"], r["pass_rate"]) for r in fast["pass_rates"]] == \
        [(r["metric_name"], r["count"], r["pass_rate"]) for r in raw["pass_rates"]]
    for q in ("p50", "p95", "p99"):
        a, b = fast["latency"]["percentiles"][q], raw["latency"]["percentiles"][q]
        assert abs(a - b) <= BOUND * b * (1 + 1e-9)
    key = [(r["bucket"], r["metric_name"], r["count"]) for r in fast["trends"]]
    assert key == [(r["bucket"], r["metric_name"], r["count"]) for r in raw["trends"]]
    assert sum(r["count"] or 0 for r in fast["trends"]) > 0
    assert max(abs(a["p95"] - b["p95"]) for a, b in zip(fast["trends"], raw["trends"])
               if b["p95"] is not None) <= DAY_BOUND + 1e-12
    assert [(a["severity"], a["detector"], a["source_name"], a["metric_name"], a["bucket"]) for a in fast["alerts"]] \
        == [(a["severity"], a["detector"], a["source_name"], a["metric_name"], a["bucket"]) for a in raw["alerts"]]
    assert sum(b["count"] for b in fast["latency"]["bins"]) == sum(b["count"] for b in raw["latency"]["bins"])
    assert [b["bin_start"] for b in fast["latency"]["bins"]] == [b["bin_start"] for b in raw["latency"]["bins"]]


def test_a_window_off_the_hour_reads_the_raw_rows_and_says_why(mstore):
    newest = pd.Timestamp(mstore.info("m")["time_range"][1])
    start = (newest.floor("h") - pd.Timedelta(hours=5, minutes=30)).isoformat()
    out = monitor.payload(mstore, "m", time="custom", time_range=[start, None], granularity="hour",
                          filters={"environment": "prod"})
    reasons = {p["what"]: (p["path"], p["reason"]) for p in out["timing"]["paths"]}
    assert reasons["score_summary"][0] == "raw" and "hour boundaries" in reasons["score_summary"][1]
    assert reasons["trends"][0] == "raw"
    # a window older than the hour tables' hours: the same
    old = (newest.floor("h") - pd.Timedelta(hours=30)).isoformat()
    out = monitor.payload(mstore, "m", time="custom", time_range=[old, None], granularity="hour")
    reasons = {p["what"]: (p["path"], p["reason"]) for p in out["timing"]["paths"]}
    assert reasons["score_summary"][0] == "raw" and "before the hour tables" in reasons["score_summary"][1]


def test_rows_without_a_metric_keep_the_kpis_on_the_raw_rows(store):
    df = demo.monitoring_records(300, days=3, seed=2).to_pandas()
    df.loc[df.index[:7], "metric_name"] = None
    store.load(df, name="nm", kind="monitoring")
    out = monitor.payload(store, "nm", time="all")
    reasons = {p["what"]: (p["path"], p["reason"]) for p in out["timing"]["paths"]}
    assert reasons["score_summary"][0] == "raw" and "metric_name" in reasons["score_summary"][1]
    assert out["kpis"]["scores"] == int(df["metric_score"].notna().sum())
    assert reasons["pass_rates"][0] == "summary"
