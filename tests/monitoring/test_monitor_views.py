"""Monitor and production views: the actions' numbers against pandas on the generated data,
server-side paging/search/sort, the widget's kernel round trip and the magic factory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from axis_jupyter import demo_incidents
from axis_jupyter.errors import QueryError
from axis_jupyter.notebook.widgets import call_action, show


def act(store, view, action, dataset="mon", **params):
    out = call_action(store, dataset, view, action, params)
    json.dumps(out, allow_nan=False)  # strict JSON: what the HTTP API and the widget send
    return out


def near_edges(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per histogram bin, the values within a log-spaced latency bin's width (a factor
    GAMMA) of its two edges: the most a count derived from those bins may be off by."""
    from axis_jupyter.summaries.latency import GAMMA

    lo, hi = edges[:-1], edges[1:]
    near = lambda e: (x[None, :] >= e[:, None] / GAMMA) & (x[None, :] <= e[:, None] * GAMMA)  # noqa: E731
    return (near(lo) | near(hi)).sum(axis=1)


def window(df: pd.DataFrame, hours: float | None):
    if hours is None:
        return df
    end = df.timestamp.max().floor("h") + pd.Timedelta(hours=1)  # presets snap to whole hours
    return df[(df.timestamp >= end - pd.Timedelta(hours=hours)) & (df.timestamp < end)]


@pytest.mark.parametrize("time,hours", [("24h", 24), ("7d", 168), ("all", None)])
def test_monitor_payload_numbers(mstore, mon_frame, time, hours):
    p = act(mstore, "monitor", "payload", time=time, granularity="day", filters={"environment": "prod"})
    df = window(mon_frame[mon_frame.environment == "prod"], hours)
    s = df[(df.metric_category == "SCORE") & df.metric_score.notna()]
    k = p["kpis"]
    assert k["scores"] == len(s)
    assert k["avg_score"] == pytest.approx(s.metric_score.mean())
    assert k["pass_rate"] == pytest.approx((s.metric_score >= 0.5).mean())
    rec = df.drop_duplicates("dataset_id")
    # from the latency summaries when the window is whole days ("all"): within their 1% bound
    assert k["p95_latency"] == pytest.approx(np.percentile(rec.latency, 95), rel=0.01)
    assert p["latency"]["percentiles"]["p99"] == pytest.approx(np.percentile(rec.latency, 99), rel=0.01)
    counts, edges = np.histogram(rec.latency, bins=20)
    assert [b["bin_start"] for b in p["latency"]["bins"]] == edges[:-1].tolist()
    # from the log-spaced latency bins for whole days ("all"): a count may be off by the
    # records within a bin's width (2%) of its edges, the total is exact
    got = np.array([b["count"] for b in p["latency"]["bins"]])
    assert got.sum() == counts.sum()
    assert (np.abs(got - counts) <= near_edges(rec.latency.to_numpy(), edges)).all()
    trend = pd.DataFrame(p["trends"])
    exp = s.groupby([s.timestamp.dt.floor("D"), "metric_name"]).metric_score.mean()
    assert trend["avg"].tolist() == pytest.approx(exp.tolist())
    rates = {r["metric_name"]: r["pass_rate"] for r in p["pass_rates"]}
    assert rates == pytest.approx(s.groupby("metric_name").metric_score.apply(lambda x: (x >= 0.5).mean()).to_dict())
    assert k["alerts"] == len(p["alerts"])
    assert p["charts"]["trend"]["datasets"]["trends"] == p["trends"]
    assert p["options"]["categories"] == ["SCORE", "CLASSIFICATION", "ANALYSIS"]
    assert set(p["options"]["filters"]) >= {"environment", "source_name", "source_component"}
    t = p["timing"]  # the queries' share of the engine's answer, and of the whole request
    assert 0 < t["duckdb_ms"] <= t["analytics_ms"] <= t["total_ms"]
    assert t["duckdb_ms"] <= t["duckdb_sum_ms"]  # the longest of the reads run side by side, and all


def test_monitor_custom_range_and_grouped_latency(mstore, mon_frame):
    p = act(mstore, "monitor", "payload", time="custom", time_range=["2026-01-03", "2026-01-05"],
            group_by="source_name", granularity="hour")
    df = mon_frame[(mon_frame.timestamp >= "2026-01-03") & (mon_frame.timestamp < "2026-01-05")]
    rec = df.drop_duplicates("dataset_id")
    assert sum(b["count"] for b in p["latency"]["bins"]) == len(rec)
    by = {r["source_name"]: r["p95"] for r in p["latency"]["by_group"]}
    # whole days: from the per-day latency sketch, within its 1% bound
    assert by == pytest.approx(rec.groupby("source_name").latency.quantile(0.95).to_dict(), rel=0.01)
    with pytest.raises(QueryError, match="time_range"):
        act(mstore, "monitor", "payload", time="custom")
    with pytest.raises(QueryError, match="monitor filters"):
        act(mstore, "monitor", "payload", filters={"nope": 1})
    # bad parameters are named, never a silently missing latency panel or a bare ValueError
    for params, message in [({"bins": "x"}, "bins must be an integer"), ({"bins": 500}, "bins must be between"),
                            ({"group_by": "nope"}, "unknown column 'nope'"),
                            ({"threshold": "high"}, "threshold must be a number")]:
        with pytest.raises(QueryError, match=message):
            act(mstore, "monitor", "payload", **params)
    with pytest.raises(QueryError, match="limit must be an integer"):
        act(mstore, "monitor", "failing", limit="many")


def test_monitor_traces_search_sort_page(mstore, mon_frame):
    s = mon_frame[mon_frame.metric_category == "SCORE"]
    r = act(mstore, "monitor", "traces", time="all", metric="accuracy", sort="score", descending=False,
            page=3, page_size=10)
    exp = s[s.metric_name == "accuracy"].sort_values(["metric_score", "dataset_id"])
    assert r["total"] == len(exp)
    assert [x["dataset_id"] for x in r["rows"]] == exp.dataset_id.iloc[20:30].tolist()
    r = act(mstore, "monitor", "traces", time="all", search="REFUND", page_size=5)
    hit = s[s["query"].str.lower().str.contains("refund") | s["actual_output"].str.lower().str.contains("refund")]
    assert r["total"] == len(hit)
    recent = hit.sort_values(["timestamp", "dataset_id", "metric_name"], ascending=[False, True, True])
    assert [x["dataset_id"] for x in r["rows"]] == recent.dataset_id.iloc[:5].tolist()


def test_monitor_failing_trace_and_tabs(mstore, mon_frame):
    f = act(mstore, "monitor", "failing", time="all", threshold=0.5)
    s = mon_frame[(mon_frame.metric_category == "SCORE") & (mon_frame.metric_score < 0.5)]
    assert [x["metric_score"] for x in f["rows"]] == pytest.approx(sorted(s.metric_score)[:15])
    rid = f["rows"][0]["dataset_id"]
    d = act(mstore, "monitor", "trace", dataset_id=rid)
    assert {m["metric_name"] for m in d["metrics"]} >= {"accuracy", "coherence", "relevance", "intent"}
    assert d["query"] and d["actual_output"] and d["expected_output"]
    a_id = mon_frame[mon_frame.metric_category == "ANALYSIS"].dataset_id.iloc[0]
    d = act(mstore, "monitor", "trace", dataset_id=a_id, metric="insights")
    assert d["signals"][0]["group"] == "overall"
    c = act(mstore, "monitor", "classification", time="all", granularity="day")
    cls = mon_frame[mon_frame.metric_category == "CLASSIFICATION"]
    assert {x["category"]: x["count"] for x in c["counts"]} == cls.explanation.value_counts().to_dict()
    ins = act(mstore, "monitor", "insights", time="all", page=2, limit=5)
    assert ins["total"] == int((mon_frame.metric_category == "ANALYSIS").sum())
    assert ins["rows"][0]["signal_groups"][0]["group"] == "overall"
    al = act(mstore, "monitor", "alerts", time="all", granularity="day")
    assert al["errors"] + al["warnings"] == sum(len(g["alerts"]) for g in al["groups"])


def test_monitor_widget_round_trip_and_magic_factory(mstore):
    from axis_jupyter import Monitor

    w = Monitor("mon", store=mstore, time="7d")
    assert w.params["granularity"] == "day" and w.kpis["scores"] > 0
    reply = w.handle_call({"kind": "axis-call", "id": "1", "action": "traces", "params": {"time": "7d", "page_size": 3}})
    assert reply["id"] == "1" and len(reply["result"]["rows"]) == 3
    bad = w.handle_call({"kind": "axis-call", "id": "2", "action": "traces", "params": {"sort": "sideways"}})
    assert "sort must be" in bad["error"]
    assert "Monitor" in w.static_html() and "Pass rate" in w.static_html()
    m = show("monitor", mstore, "mon", time="all", environment="prod")
    assert m.params["filters"] == {"environment": "prod"}
    with pytest.raises(QueryError, match="monitor options"):
        show("monitor", mstore, "mon", colour="red")


def test_production_payload_and_actions(mstore, mon_frame, kpi_frame, _config_dir):
    (_config_dir / "kpi.yaml").write_text(yaml.safe_dump({"kpi": demo_incidents.KPI_CONFIG}, sort_keys=False))
    p = act(mstore, "production", "payload", kpi="kpi")
    q = p["quality"]
    s = mon_frame[(mon_frame.metric_category == "SCORE") & mon_frame.metric_score.notna()]
    assert q["summary"]["avg_score"] == pytest.approx(s.metric_score.mean())
    assert q["summary"]["pass_rate"] == pytest.approx((s.metric_score >= 0.5).mean())
    assert q["summary"]["total_metrics"] == mon_frame.metric_name.nunique()
    assert len(q["summary"]["avg_sparkline"]) == s.timestamp.dt.floor("D").nunique()
    assert [c["category"] for c in p["kpi"]["categories"]] == ["quality", "volume", "efficiency", "mix"]
    assert p["kpi"]["composition"][0]["segments"][-1]["label"] == "Human only"
    assert q["hierarchy"][0]["level"] == "source"
    t = act(mstore, "production", "kpi_trend", kpi="kpi", kpi_name="tickets_handled")
    daily = kpi_frame[kpi_frame.kpi_name == "tickets_handled"].groupby(
        kpi_frame.created_at.dt.floor("D")).numeric_value.sum()
    assert [r["value"] for r in t["rows"]] == pytest.approx(daily.tolist())
    assert t["chart"]["datasets"]["series"] == t["rows"]
    d = act(mstore, "production", "metric_detail", source_name="Atlas", source_component="retriever",
            metric_name="accuracy")
    sub = s[(s.source_name == "Atlas") & (s.source_component == "retriever") & (s.metric_name == "accuracy")]
    assert d["stats"]["mean"] == pytest.approx(sub.metric_score.mean()) and d["stats"]["count"] == len(sub)
    d = act(mstore, "production", "metric_detail", source_name="Atlas", source_component="retriever",
            metric_name="intent")
    assert d["category"] == "CLASSIFICATION" and d["total"] > 0


def test_production_widget_and_factory(mstore):
    from axis_jupyter import Production

    w = Production("mon", store=mstore, kpi="kpi")
    assert w.snapshot["kpi"]["dataset"] == "kpi" and w.snapshot["quality"]["dataset"] == "mon"
    html = w.static_html()
    assert "Production overview" in html and "Atlas" in html
    only_kpi = show("production", mstore, "kpi")
    assert only_kpi.snapshot["quality"] is None
    auto = show("production", mstore)  # one monitoring and one KPI dataset: both picked
    assert auto.snapshot["kpi_dataset"] == "kpi" and auto.snapshot["monitoring_dataset"] == "mon"
