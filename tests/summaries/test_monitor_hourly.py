"""The monitor view's default window (the newest 24 hours, hourly buckets) from the hour
tables equals the raw rows (counts, min, max, pass rates, the alerts) or stays within the
stated bounds (percentiles, histogram counts), on the adversarial monitoring data of
:func:`summary_data.monitor_frame` (spikes on bin edges, heavy tails, a latency jump and a
score drop on the last day), on DuckDB and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import alerts, monitoring
from axis_jupyter.payloads import params
from axis_jupyter.summaries import latency as log_bins
from axis_jupyter.summaries.hourly import RECENT_HOURS
from summary_data import monitor_frame
from test_monitor_daily import alert_rows, assert_same_trends, both, crossing_bound, records


@pytest.fixture
def hourly(store, contexts):
    """(make, the 24-hour window the monitor opens on, a 6-hour window inside it)."""
    store.load(monitor_frame(), name="mon", kind="monitoring")
    info = store.info("mon")
    meta = info["summary"]
    assert {"hours", "hour_bins", "lat_hours"} <= set(meta["tables"]), meta["tables"]
    day = params.time_scope(info, None, "24h")["time_range"]
    assert pd.Timestamp(day[0]) == pd.Timestamp(meta["hours_from"])  # the tables hold that window
    six = params.time_scope(info, None, "6h")["time_range"]
    return contexts(store, "mon"), day, six


def scopes(day, six):
    return [{"time_range": day}, {"time_range": six, "environment": "prod"},
            {"time_range": day, "source_name": ["Nova", "Orion"], "environment": "staging"},
            {"time_range": day, "environment": "nothing"}]


def test_hourly_trends_counts_equal_and_percentiles_within_bound(hourly):
    make, day, six = hourly
    for filters in scopes(day, six):
        fast, raw = both(make, monitoring.trends, "trends", granularity="hour", filters=filters)
        if filters.get("environment") == "nothing":
            assert len(raw) == len(fast) == 0
            continue
        assert_same_trends(fast, raw, filters)


def test_hourly_latency_percentiles_and_histogram_within_bound(hourly):
    make, day, six = hourly
    for filters in scopes(day, six)[:3]:
        fast, raw = both(make, monitoring.latency, "latency", by="source_name", filters=filters)
        assert fast["count"].tolist() == raw["count"].tolist() and sum(raw["count"]) > 0
        assert fast["min"].tolist() == raw["min"].tolist() and fast["max"].tolist() == raw["max"].tolist()
        for q in ("p50", "p95", "p99"):
            for a, b in zip(fast[q], raw[q]):
                assert abs(a - b) <= log_bins.BOUND * abs(b) * (1 + 1e-9) + 1e-12
        fast, raw = both(make, monitoring.latency_histogram, "latency_histogram", bins=20, filters=filters)
        assert fast["bin_start"].tolist() == raw["bin_start"].tolist()
        assert fast["count"].sum() == raw["count"].sum() > 0
        edges = np.r_[raw["bin_start"].to_numpy(), raw["bin_end"].to_numpy()[-1]]
        lat = records(make, filters)["latency"].to_numpy(dtype="float64")
        gap = np.abs(fast["count"].to_numpy() - raw["count"].to_numpy())
        assert (gap <= crossing_bound(lat, edges)).all(), (filters, gap)


def test_hourly_alerts_are_the_raw_alerts(hourly):
    make, day, _ = hourly
    ctx = make()
    got = alerts.alerts(ctx, granularity="hour", filters={"time_range": day})
    paths = {p["what"]: p["path"] for p in ctx.paths}
    assert paths["score_series"] == paths["record_series"] == "summary", ctx.paths
    want = alerts.alerts(make(), granularity="hour", filters={"time_range": day}, exact=True)
    assert alert_rows(got) == alert_rows(want)
    assert len(want) > 0  # the last day's drop and latency jump


def test_hour_windows_the_hour_tables_do_not_hold_read_the_raw_rows(hourly):
    make, day, _ = hourly
    start = pd.Timestamp(day[0])
    for filters, why in [(None, "no start"),  # all time, hourly
                         ({"time_range": [(start - pd.Timedelta(hours=1)).isoformat(), day[1]]}, "before the hour tables"),
                         ({"time_range": [(start + pd.Timedelta(minutes=30)).isoformat(), day[1]]}, "hour boundaries")]:
        ctx = make()
        got = monitoring.trends(ctx, granularity="hour", filters=filters)
        assert ctx.paths[-1]["path"] == "raw" and why in ctx.paths[-1]["reason"], ctx.paths[-1]
        pd.testing.assert_frame_equal(got, monitoring.trends(make(), granularity="hour", filters=filters, exact=True))
    assert RECENT_HOURS == 24  # the monitor's default window ("24h")
