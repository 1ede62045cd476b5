"""The alerts' label shares of CLASSIFICATION metrics from the summaries' label counts (per
day, and per hour of the newest 24) equal the raw rows' (every label of a series in every
bucket, zeros included), on DuckDB and PostgreSQL; other label columns, and windows the
counts do not cover, read the raw rows and say why."""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter.analytics import alerts
from axis_jupyter.payloads import params
from summary_data import labelled_frame
from test_monitor_daily import both


@pytest.fixture
def labelled(store, contexts):
    store.load(labelled_frame(), name="lab", kind="monitoring")
    info = store.info("lab")
    assert {"class_days", "class_hours"} <= set(info["summary"]["tables"]), info["summary"]["tables"]
    return contexts(store, "lab"), params.time_scope(info, None, "24h")["time_range"]


def same(fast: pd.DataFrame, raw: pd.DataFrame) -> None:
    assert list(fast.columns) == list(raw.columns)
    assert fast[["count", "total"]].dtypes.tolist() == raw[["count", "total"]].dtypes.tolist() == ["int64"] * 2
    cols = ["source_name", "metric_name", "category", "count", "total"]
    assert fast[cols].astype(object).values.tolist() == raw[cols].astype(object).values.tolist()
    assert [pd.Timestamp(b) for b in fast["bucket"]] == [pd.Timestamp(b) for b in raw["bucket"]]
    assert fast["share"].tolist() == pytest.approx(raw["share"].tolist(), rel=1e-12)


@pytest.mark.parametrize("granularity", ["day", "week"])
def test_label_shares_from_the_daily_counts_equal_the_raw_rows(labelled, granularity):
    make, _ = labelled
    for filters in (None, {"environment": "prod"}, {"source_name": ["Nova"], "environment": "staging"},
                    {"environment": "nothing"}):
        fast, raw = both(make, alerts.class_series, "class_series", granularity=granularity, filters=filters)
        same(fast, raw)
        if filters != {"environment": "nothing"}:
            assert len(raw) > 0 and (raw["count"] == 0).any()  # a label absent from a bucket: a zero
    fast, raw = both(make, alerts.class_series, "class_series", granularity="day", metrics=["intent"])
    same(fast, raw)
    assert set(raw["category"]) == {"refund", "billing", "other", "rare"}


def test_label_shares_of_the_newest_hours_come_from_the_hourly_counts(labelled):
    make, day = labelled
    for filters in ({"time_range": day}, {"time_range": day, "environment": "prod"}):
        fast, raw = both(make, alerts.class_series, "class_series", granularity="hour", filters=filters)
        same(fast, raw)
        assert len(raw) > 0


def test_label_requests_the_counts_cannot_answer_read_the_raw_rows(labelled):
    make, day = labelled
    for kw, why in [({"category_source": "actual_output"}, "labels from actual_output"),
                    ({"granularity": "hour"}, "no start"),
                    ({"filters": {"trace_id": "Nova-prod-0-1"}}, "trace_id")]:
        ctx = make()
        got = alerts.class_series(ctx, **kw)
        assert ctx.paths[-1]["path"] == "raw" and why in ctx.paths[-1]["reason"], (kw, ctx.paths[-1])
        pd.testing.assert_frame_equal(got, alerts.class_series(make(), exact=True, **kw))


def test_label_counts_give_up_keys_to_fit_and_still_equal_the_raw_rows(store, contexts, monkeypatch):
    """Label counts over their row limit are rolled up from themselves, the widest key first
    (metric and source stay): what they still key answers exactly, a filter on a key given
    up reads the raw rows."""
    from axis_jupyter.summaries import daily

    store.load(labelled_frame(), name="full", kind="monitoring")
    full_keys = store.info("full")["summary"]["class_days_keys"]
    monkeypatch.setattr(daily, "DAY_BIN_ROWS", 40)  # the per-day tables' row limit: 56 rows keyed by all, 30 by two
    store.load(labelled_frame(), name="lab", kind="monitoring")
    keys = store.info("lab")["summary"]["class_days_keys"]
    assert keys == ["metric_name", "source_name"] and len(full_keys) > len(keys), (full_keys, keys)
    make = contexts(store, "lab")
    for filters in (None, {"source_name": ["Nova"]}):
        fast, raw = both(make, alerts.class_series, "class_series", granularity="day", filters=filters)
        same(fast, raw)
        assert len(raw) > 0
    ctx = make()
    got = alerts.class_series(ctx, granularity="day", filters={"environment": "prod"})
    assert ctx.paths[-1]["path"] == "raw" and "environment" in ctx.paths[-1]["reason"], ctx.paths[-1]
    same(got, alerts.class_series(make(), granularity="day", filters={"environment": "prod"}, exact=True))
