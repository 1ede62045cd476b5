"""The monitor view's trends, latency histogram and alerts from the per-day summaries equal
the raw rows (counts, min, max, pass rates, the alerts) or stay within the stated bounds
(percentiles, histogram counts), on scores and latencies built to break binning (spikes on
bin edges, heavy tails, ties, zeros, groups of one and two), on DuckDB and PostgreSQL."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import alerts, monitoring
from axis_jupyter.summaries import latency as log_bins
from axis_jupyter.summaries.daily import DAY_BOUND as BOUND
from summary_data import MONITOR_DAY0, labelled_frame, monitor_frame

WHOLE_DAYS = [str((MONITOR_DAY0 + pd.Timedelta(days=1)).date()), str((MONITOR_DAY0 + pd.Timedelta(days=4)).date())]
SCOPES = [None, {"environment": "prod"}, {"source_name": ["Atlas", "Orion"], "environment": "staging"},
          {"time_range": WHOLE_DAYS}, {"environment": "nothing"}]


@pytest.fixture
def mon(store, contexts):
    store.load(monitor_frame(), name="mon", kind="monitoring")
    meta = store.info("mon")["summary"]
    assert {"day_bins", "lat_days"} <= set(meta["tables"]), meta["tables"]
    return contexts(store, "mon")


def both(make, fn, what, **kw):
    """(answer from the summaries, raw answer); asserts which path answered."""
    ctx = make()
    fast = fn(ctx, **kw)
    used = [p for p in ctx.paths if p["what"] == what]
    assert used and used[-1]["path"] == "summary", ctx.paths
    return fast, fn(make(), exact=True, **kw)


def assert_same_trends(fast: pd.DataFrame, raw: pd.DataFrame, filters=None) -> None:
    """Trends from summaries against the raw ones: the same buckets, metrics and counts, the
    averages to rounding, the percentiles within the day bins' bound."""
    assert len(raw) > 0
    assert list(fast.columns) == list(raw.columns)
    assert [pd.Timestamp(b) for b in fast["bucket"]] == [pd.Timestamp(b) for b in raw["bucket"]]
    assert fast["metric_name"].tolist() == raw["metric_name"].tolist()
    assert fast["count"].tolist() == raw["count"].tolist()
    assert fast["avg"].tolist() == pytest.approx(raw["avg"].tolist(), rel=1e-9)
    for q in ("p50", "p95", "p99"):
        gap = np.abs(fast[q].to_numpy(float) - raw[q].to_numpy(float))
        assert gap.max() <= BOUND + 1e-12, (q, filters, gap.max())


@pytest.mark.parametrize("granularity", ["day", "week"])
def test_trends_counts_equal_and_percentiles_within_bound(mon, granularity):
    for filters in SCOPES:
        for metrics in (None, ["rare", "relevance"]):
            fast, raw = both(mon, monitoring.trends, "trends", granularity=granularity,
                             filters=filters, metrics=metrics)
            if filters == {"environment": "nothing"}:
                assert len(raw) == len(fast) == 0
                continue
            assert_same_trends(fast, raw, filters)
    # the spike on a bin edge is exact (its bin holds one value), and groups of one too
    fast, raw = both(mon, monitoring.trends, "trends", granularity="day", metrics=["rare"],
                     filters={"source_name": "Atlas", "environment": "prod"})
    single = raw["count"] == 1
    assert single.any()
    assert fast.loc[single, "p50"].tolist() == raw.loc[single, "p50"].tolist()


def test_trends_the_summaries_cannot_answer_read_the_raw_rows(mon):
    for kw, why in [({"granularity": "hour"}, "hourly"),
                    ({"filters": {"time_range": ["2026-04-02 06:00", "2026-04-04"]}}, "day boundaries"),
                    ({"filters": {"trace_id": "Atlas-prod-0-1"}}, "trace_id")]:
        ctx = mon()
        got = monitoring.trends(ctx, **kw)
        assert ctx.paths[-1]["path"] == "raw" and why in ctx.paths[-1]["reason"], ctx.paths[-1]
        pd.testing.assert_frame_equal(got, monitoring.trends(mon(), exact=True, **kw))


def crossing_bound(raw_latencies: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per histogram bin, the records whose log-spaced bin (with its values' own min and
    max) reaches from that bin into another: what the derived count may be off by."""
    x = raw_latencies[~np.isnan(raw_latencies)]
    lbin = np.where(x > 0, np.ceil(np.log(np.where(x > 0, x, 1)) / math.log(log_bins.GAMMA)), -1)
    bound = np.zeros(len(edges) - 1, dtype="int64")
    last = len(edges) - 2
    for b in np.unique(lbin):
        v = x[lbin == b]
        lo = min(np.searchsorted(edges, v.min(), side="right") - 1, last)
        hi = min(np.searchsorted(edges, v.max(), side="right") - 1, last)
        if lo != hi:
            bound[lo:hi + 1] += len(v)
    return bound


def records(make, filters, by=None) -> pd.DataFrame:
    """One row per record (latency, its dimensions) from the raw rows, filtered."""
    from axis_jupyter.analytics.monitoring import records_table

    ctx = make()
    return ctx.execute(records_table(ctx, filters, "latency", *([by] if by else [])))


@pytest.mark.parametrize("bins", [5, 20, 100])
def test_latency_histogram_same_edges_and_totals_counts_within_bound(mon, bins):
    for filters in SCOPES:
        for by in (None, "source_name"):
            fast, raw = both(mon, monitoring.latency_histogram, "latency_histogram", bins=bins, by=by,
                             filters=filters)
            assert list(fast.columns) == list(raw.columns)
            if filters == {"environment": "nothing"}:
                assert len(raw) == len(fast) == 0
                continue
            assert fast["bin"].tolist() == raw["bin"].tolist()
            assert fast["bin_start"].tolist() == raw["bin_start"].tolist()
            assert fast["bin_end"].tolist() == raw["bin_end"].tolist()
            edges = np.r_[raw["bin_start"].to_numpy()[:bins], raw["bin_end"].to_numpy()[bins - 1]]
            rec = records(mon, filters, by)
            for g in (raw["group"].unique() if by else [None]):
                f = fast[fast["group"] == g] if by else fast
                r = raw[raw["group"] == g] if by else raw
                assert f["count"].sum() == r["count"].sum() > 0
                lat = (rec[rec[by] == g] if by else rec)["latency"].to_numpy(dtype="float64")
                bound = crossing_bound(lat, edges)
                gap = np.abs(f["count"].to_numpy() - r["count"].to_numpy())
                assert (gap <= bound).all(), (filters, by, g, gap, bound)


def test_latency_percentiles_over_whole_days_come_from_the_per_day_sketch(mon):
    fast, raw = both(mon, monitoring.latency, "latency", by="source_name", filters={"time_range": WHOLE_DAYS})
    assert fast["count"].tolist() == raw["count"].tolist()
    assert fast["min"].tolist() == raw["min"].tolist() and fast["max"].tolist() == raw["max"].tolist()
    for q in ("p50", "p95", "p99"):
        for a, b in zip(fast[q], raw[q]):
            assert abs(a - b) <= log_bins.BOUND * abs(b) * (1 + 1e-9) + 1e-12


def alert_rows(df: pd.DataFrame) -> list[tuple]:
    return [(r.source_name, r.metric_name, r.detector, r.severity, pd.Timestamp(r.bucket), r.count)
            for r in df.itertuples()]


@pytest.mark.parametrize("scan", [False, True])
def test_alerts_from_summaries_are_the_raw_alerts(mon, scan):
    config = {"thresholds": {"per_source": {"Orion": {"good": 0.8, "pass": 0.7}}}}
    for filters in SCOPES[:4]:
        for granularity in ("day", "week"):
            ctx = mon()
            fast = alerts.alerts(ctx, granularity=granularity, scan=scan, filters=filters, config=config)
            used = {p["what"]: p["path"] for p in ctx.paths}
            assert used["score_series"] == used["record_series"] == used["class_series"] == "summary", ctx.paths
            raw = alerts.alerts(mon(), granularity=granularity, scan=scan, filters=filters, config=config, exact=True)
            assert alert_rows(fast) == alert_rows(raw)
            lat = (fast["detector"] == "threshold_latency").to_numpy()
            assert fast.loc[~lat, "value"].tolist() == pytest.approx(raw.loc[~lat, "value"].tolist(), rel=1e-9)
            for a, b in zip(fast.loc[lat, "value"], raw.loc[lat, "value"]):
                assert abs(a - b) <= log_bins.BOUND * b * (1 + 1e-9)
    # the data raises each kind: a score and pass-rate threshold, an anomaly, a latency alert
    kinds = set(raw["detector"]) if scan else set(alerts.alerts(mon(), scan=True, config=config, exact=True)["detector"])
    assert {"threshold_score", "threshold_pass_rate", "threshold_latency"} <= kinds


def test_alerts_the_summaries_cannot_answer_read_the_raw_rows(mon):
    # a pass threshold that is not summarised
    ctx = mon()
    config = {"thresholds": {"per_source": {"Orion": {"good": 0.8, "pass": 0.65}}}}
    got = alerts.alerts(ctx, config=config)
    reason = {p["what"]: p["reason"] for p in ctx.paths}
    assert "0.65" in reason["score_series"]
    assert alert_rows(got) == alert_rows(alerts.alerts(mon(), config=config, exact=True))
    # a p95 latency within the bound of the limit: the estimate cannot tell the side
    raw = alerts.record_series(mon(), "day", exact=True)
    near = float(raw["p95"].dropna().iloc[0])
    ctx = mon()
    alerts.record_series(ctx, "day", limit=near)
    assert ctx.paths[-1]["path"] == "raw" and "alert limit" in ctx.paths[-1]["reason"]
    # hourly buckets (the empty label series needs no buckets)
    ctx = mon()
    alerts.alerts(ctx, granularity="hour")
    reason = {p["what"]: p["reason"] for p in ctx.paths}
    assert "hourly" in reason["score_series"] and "hourly" in reason["record_series"]


def test_the_monitor_view_on_score_data_is_answered_from_summaries_alone(store, monkeypatch):
    from axis_jupyter.payloads import monitor

    store.load(monitor_frame(), name="mon", kind="monitoring")
    kw = dict(time="all", filters={"environment": "prod"}, granularity="day", group_by="source_name")
    fast = monitor.payload(store, "mon", **kw)
    assert fast["timing"]["path"] == "summary", fast["timing"]["paths"]
    monkeypatch.setenv("AXIS_SUMMARIES", "off")
    raw = monitor.payload(store, "mon", **kw)
    assert raw["timing"]["path"] == "raw"
    assert {p["reason"] for p in raw["timing"]["paths"]} == {"AXIS_SUMMARIES is off"}
    assert fast["kpis"]["alerts"] == raw["kpis"]["alerts"] > 0
    assert [(a["detector"], a["source_name"], a["bucket"]) for a in fast["alerts"]] == \
        [(a["detector"], a["source_name"], a["bucket"]) for a in raw["alerts"]]
    assert [(r["bucket"], r["metric_name"], r["count"]) for r in fast["trends"]] == \
        [(r["bucket"], r["metric_name"], r["count"]) for r in raw["trends"]]
    assert [(b["group"], b["bin_start"]) for b in fast["latency"]["bins"]] == \
        [(b["group"], b["bin_start"]) for b in raw["latency"]["bins"]]


def test_the_magic_rebuilds_and_shows_the_per_day_tables(ip):
    magic = ip.magics_manager.registry["AxisMagic"]
    # with CLASSIFICATION rows: the label counts per day and per hour, and their keys
    magic.store.load(labelled_frame(monitor_frame(days=3, per_day=10)), name="mon_magic", kind="monitoring")
    shown = ip.run_line_magic("axis", "summaries build mon_magic")
    assert {"day_bins", "lat_days", "hours", "hour_bins", "lat_hours", "class_days", "class_hours"} <= \
        set(shown["tables"])
    assert shown["day_bin_keys"][0] == "metric_name" and "source_name" in shown["lat_day_keys"]
    assert shown["hour_bin_keys"][0] == "metric_name" and shown["hours_from"]
    assert shown["class_days_keys"][:2] == shown["class_hours_keys"][:2] == ["metric_name", "source_name"]
    assert shown["build_s"]["total"] >= shown["build_s"]["stats"] > 0  # each step's seconds
    again = ip.run_line_magic("axis", "summaries show mon_magic")
    assert again["tables"] == shown["tables"]
    assert (again["class_days_keys"], again["class_hours_keys"]) == (shown["class_days_keys"], shown["class_hours_keys"])
    assert set(shown["tables"].values()) <= set(magic.store.info("mon_magic")["tables"])
