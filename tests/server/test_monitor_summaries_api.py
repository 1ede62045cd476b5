"""Over HTTP: the monitor view's payload says which data answered it, and the monitoring
analytics take ``exact`` (the raw rows) beside their summary answer."""

from __future__ import annotations

import pytest

from axis_jupyter import wire
from axis_helpers import strict_json


@pytest.fixture
def monitoring(axis_state):
    from axis_jupyter import demo

    df = demo.monitoring_records(300, days=4, seed=3).to_pandas()
    axis_state.store.load(df[df["metric_category"] == "SCORE"], name="mon", kind="monitoring")
    return axis_state.store


async def test_monitor_payload_reports_its_path(api, monitoring):
    body = {"time": "all", "granularity": "day", "filters": {"environment": "prod"}}
    r = await api("POST", "datasets", "mon", "views", "monitor", "payload", body=body)
    assert r.code == 200, r.body
    timing = strict_json(r)["timing"]
    assert timing["path"] == "summary"
    assert {p["what"] for p in timing["paths"]} >= {"trends", "latency_histogram", "score_series"}


async def test_trends_with_and_without_exact(api, monitoring):
    got = {}
    for exact in (False, True):
        r = await api("POST", "datasets", "mon", "analytics", "trends",
                      body={"granularity": "week", "exact": exact})
        assert r.code == 200, r.body
        got[exact] = wire.split_to_frame(strict_json(r))
    assert got[False]["count"].tolist() == got[True]["count"].tolist()
    assert (abs(got[False]["p95"] - got[True]["p95"]) <= 0.0025 + 1e-12).all()
    r = await api("POST", "datasets", "mon", "analytics", "trends", body={"exact": "maybe"})
    assert r.code == 400 and "exact" in strict_json(r)["error"]
