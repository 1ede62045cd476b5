"""Sensible defaults on real data, without any kpi.yaml or monitoring.yaml:

* a latency column named plainly ``latency`` gets its unit from its values (the demo's
  ~950 ms latencies were labelled "s?");
* a KPI's direction and unit come from its name (a rising escalation rate was a green ▲),
  rates are percents, and a count KPI's day is the sum of its rows, not their mean;
* a time series leaves a gap where buckets are missing instead of bridging it, and marks
  the buckets its window only partly covers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.monitoring_config import infer_kpi_display
from axis_jupyter.notebook.widgets import call_action
from axis_jupyter.payloads.series import mark_series
from axis_jupyter.payloads.units import latency_unit


@pytest.fixture
def empty_config(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))  # no kpi.yaml, no monitoring.yaml


def monitoring(latency_scale: float, days=(0, 1, 3, 4), hours=range(0, 24, 1), seed: int = 2) -> pd.DataFrame:
    """Scored records on the given days (day 2 missing: a gap), every hour."""
    rng = np.random.default_rng(seed)
    rows = []
    i = 0
    for d in days:
        for h in hours:
            for k in range(3):
                ts = pd.Timestamp("2026-03-01") + pd.Timedelta(days=d, hours=h, minutes=10 * k)
                rows.append({"dataset_id": f"r{i}", "timestamp": ts, "source_name": "bot",
                             "latency": float(rng.uniform(0.4, 2.0)) * latency_scale,
                             "metric_name": "relevance", "metric_score": float(rng.uniform(0.3, 1))})
                i += 1
    return pd.DataFrame(rows)


@pytest.fixture
def store(tmp_path):
    s = axis_jupyter.LocalStore(tmp_path / "d.duckdb")
    yield s
    s.close()


def load(store, df, name, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(df, name=name, kind=kind)


@pytest.mark.parametrize("scale, unit", [(1000.0, "ms"), (1.0, "s")])
def test_latency_unit_comes_from_the_values(store, empty_config, scale, unit):
    load(store, monitoring(scale), "mon", "monitoring")
    assert store.info("mon")["latency_unit"] == "s?"  # ingest could not tell
    p = call_action(store, "mon", "monitor", "payload", {"time": "all", "granularity": "day"})
    assert p["options"]["latency_unit"] == unit
    assert p["charts"]["latency"]["layer"][0]["encoding"]["x"]["title"] == f"Latency ({unit})"


def test_latency_unit_rule():
    assert latency_unit("ms", 0.5) == "ms" and latency_unit("s", 900) == "s"  # ingest knew
    assert latency_unit("s?", 950.0) == "ms" and latency_unit("s?", 1.3) == "s"
    assert latency_unit(None, None) == "ms"


@pytest.mark.parametrize("name, unit, polarity", [
    ("escalation_rate", "percent", "lower_better"), ("resolution_rate", "percent", "higher_better"),
    ("avg_handle_time", "seconds", "lower_better"), ("tickets_handled", "count", "higher_better"),
    ("error_count", "count", "lower_better"), ("csat", "score", "higher_better"),
])
def test_kpi_direction_and_unit_from_the_name(name, unit, polarity):
    assert infer_kpi_display(name) == {"unit": unit, "polarity": polarity}


def test_kpi_defaults_without_kpi_yaml(store, empty_config):
    days = pd.date_range("2026-02-01", periods=20, freq="D")
    rows = []
    for i, d in enumerate(days):
        for k in range(4):  # four observations a day
            t = d + pd.Timedelta(hours=3 * k)
            rows.append({"kpi_name": "escalation_rate", "numeric_value": 0.05 + 0.01 * i, "created_at": t})
            rows.append({"kpi_name": "tickets_handled", "numeric_value": float(10 + k), "created_at": t})
            rows.append({"kpi_name": "avg_handle_time", "numeric_value": 300.0 - 6 * i, "created_at": t})
    kpi = pd.DataFrame(rows)
    load(store, kpi, "kpi", "kpi")
    p = call_action(store, "kpi", "production", "payload", {"kpi": "kpi"})
    cards = {x["kpi_name"]: x for c in p["kpi"]["categories"] for x in c["kpis"]}
    esc = cards["escalation_rate"]
    assert (esc["unit"], esc["polarity"], esc["trend_direction"]) == ("percent", "lower_better", "up")  # red ▲
    aht = cards["avg_handle_time"]
    assert (aht["unit"], aht["polarity"], aht["trend_direction"]) == ("seconds", "lower_better", "down")  # green ▼
    t = call_action(store, "kpi", "production", "kpi_trend", {"kpi": "kpi", "kpi_name": "tickets_handled"})
    want = kpi[kpi.kpi_name == "tickets_handled"].groupby(kpi.created_at.dt.floor("D")).numeric_value.sum()
    assert [r["value"] for r in t["rows"]] == pytest.approx(want.tolist())  # summed: 46 a day, not 11.5
    assert t["display"]["unit"] == "count"
    e = call_action(store, "kpi", "production", "kpi_trend", {"kpi": "kpi", "kpi_name": "escalation_rate"})
    assert e["chart"]["layer"][0]["encoding"]["y"]["axis"] == {"format": "%"}


def test_trend_gaps_are_left_open_and_partial_buckets_marked(store, empty_config):
    load(store, monitoring(1000.0), "mon", "monitoring")
    p = call_action(store, "mon", "monitor", "payload", {"time": "all", "granularity": "day"})
    rows = [r for r in p["trends"] if r["metric_name"] == "relevance"]
    assert [r["bucket"][:10] for r in rows] == ["2026-03-01", "2026-03-02", "2026-03-04", "2026-03-05"]
    assert [r["segment"] for r in rows] == [0, 0, 1, 1]  # day 3 is missing: two paths
    # the last day ends at 23:20 plus the window's end: 97 % covered, a full day
    assert not any(r["partial"] for r in rows)
    line = p["charts"]["trend"]["layer"][1]
    assert line["encoding"]["detail"] == {"field": "segment"}
    # a custom window cutting the first and the last day
    p = call_action(store, "mon", "monitor", "payload", {
        "time": "custom", "time_range": ["2026-03-01T18:00:00", "2026-03-05T06:00:00"], "granularity": "day"})
    rows = [r for r in p["trends"] if r["metric_name"] == "relevance"]
    assert [(r["bucket"][:10], r["partial"], r["coverage"]) for r in rows] == [
        ("2026-03-01", True, 0.25), ("2026-03-02", False, 1.0), ("2026-03-04", False, 1.0), ("2026-03-05", True, 0.25)]
    marks = [layer for layer in p["charts"]["trend"]["layer"] if layer.get("transform") == [{"filter": "datum.partial"}]]
    assert len(marks) == 1 and marks[0]["mark"]["filled"] is False


def test_mark_series_by_hand():
    rows = [{"k": "a", "t": "2026-01-01T00:00:00"}, {"k": "a", "t": "2026-01-01T01:00:00"},
            {"k": "a", "t": "2026-01-01T04:00:00"}, {"k": "b", "t": "2026-01-01T00:00:00"}]
    out = mark_series(rows, "hour", start="2026-01-01T00:30:00", end=None, key="k", at="t")
    assert [(r["k"], r["segment"], r["partial"]) for r in out] == [
        ("a", 0, True), ("a", 0, False), ("a", 1, False), ("b", 0, True)]
    assert mark_series(rows, "minute", key="k", at="t")[0]["segment"] == 0  # unknown step: no marks
