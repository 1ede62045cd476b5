"""Detectors and alerts: each detector against an independent pandas implementation, the
alerts of a whole dataset against a pandas pipeline, planted incidents flagged and nothing
else, per-source thresholds and settings from monitoring.yaml."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import axis_jupyter
from axis_jupyter import demo_incidents, monitoring_config
from axis_jupyter.analytics import alerts as al

AD = monitoring_config.validate_monitoring({})["anomaly_detection"]


# ------------------------------------------------------------------ independent detectors
def ref_z(v: pd.Series, lookback=20, th=2.0) -> pd.Series:
    """|z| > th of each point against the last ``lookback`` points including it (pop. std)."""
    win = v.rolling(lookback if lookback else len(v), min_periods=1)
    mean, std = win.mean(), win.std(ddof=0)
    z = (v - mean) / std
    return (z.abs() > th + 1e-9) & (std > 1e-12)


def ref_ma(v: pd.Series, w=5, dev=0.15) -> pd.Series:
    ma = v.shift(1).rolling(w, min_periods=1).mean()  # up to w points before, capped at n-1
    return (v - ma).abs() > dev + 1e-9


def ref_roc(v: pd.Series, th=0.3) -> pd.Series:
    return v.diff().abs() > th + 1e-9


def flagged(values, det, scan=True, **over):
    ad = {**AD, "enabled": True, "min_data_points": 3}
    ad = {k: (dict(v) if isinstance(v, dict) else v) for k, v in ad.items()}
    for d in al.DETECTORS:
        ad[d]["enabled"] = d == det
    for k, v in over.items():
        ad[det][k] = v
    return sorted(h["index"] for h in al.detect(values, "m", ad, scan=scan))


@pytest.mark.parametrize("seed", range(6))
def test_detectors_match_pandas(seed):
    rng = np.random.default_rng(seed)
    v = pd.Series(np.cumsum(rng.normal(0, 0.12, 80)) * 0.5 + 0.6 + rng.normal(0, 0.05, 80))
    v[rng.integers(10, 80, 4)] += rng.choice([-0.5, 0.5], 4)  # spikes
    first = 2  # min_data_points 3
    for lookback in (0, 5, 20):
        exp = [i for i in np.flatnonzero(ref_z(v, lookback).to_numpy()) if i >= first]
        assert flagged(v.to_numpy(), "z_score", lookback_window=lookback) == exp
    for w in (2, 5, 9):
        exp = [i for i in np.flatnonzero(ref_ma(v, w).to_numpy()) if i >= first]
        assert flagged(v.to_numpy(), "moving_average", window_size=w) == exp
    exp = [i for i in np.flatnonzero(ref_roc(v).to_numpy()) if i >= first]
    assert flagged(v.to_numpy(), "rate_of_change") == exp
    assert exp, "the spikes change the series by more than 0.3"


def test_detector_edge_cases():
    flat = np.full(12, 0.8)
    assert flagged(flat, "z_score") == []  # std 0: skipped, as the reference
    assert flagged(np.r_[flat, 0.8 + 1e-15], "z_score") == []  # rounding-level spread is no spread
    assert flagged([0.8, 0.8, 0.1], "z_score") == []  # 3 points: |z| <= (n-1)/sqrt(n) < 2
    assert flagged([0.8] * 8 + [0.1], "z_score") == [8]
    assert flagged([0.8, 0.8, 0.1], "rate_of_change") == [2]
    assert flagged([0.8, 0.81, 0.4], "rate_of_change") == [2]
    assert flagged([0.8, 0.81, 0.52], "rate_of_change") == []
    ad = {**AD, "enabled": True}
    assert al.detect([0.9, 0.9, 0.9, 0.1], "m", ad) == []  # fewer than min_data_points (5)
    ad_off = {**AD, "enabled": False}
    assert al.detect([0.9] * 6 + [0.1], "m", ad_off) == []
    only = {**AD, "z_score": {**AD["z_score"], "metrics": ["other"]}}
    assert {h["detector"] for h in al.detect([0.9, 0.91, 0.9, 0.92, 0.9, 0.1], "m", only)} == \
        {"moving_average", "rate_of_change"}


# ------------------------------------------------------------------ whole-dataset alerts
def pandas_alerts(df: pd.DataFrame, granularity: str, scan: bool) -> set:
    """Independent pipeline: bucket means per (source, metric) -> detectors and thresholds."""
    floor = {"hour": "h", "day": "D"}[granularity]
    out = set()
    s = df[(df.metric_category == "SCORE") & df.metric_score.notna()].copy()
    s["bucket"] = s.timestamp.dt.floor(floor)
    for (src, met), g in s.groupby(["source_name", "metric_name"]):
        b = g.groupby("bucket").metric_score.agg(avg="mean", pr=lambda x: (x >= 0.5).mean())
        idx = range(len(b)) if scan else [len(b) - 1]
        for i in idx:
            if b.avg.iloc[i] < 0.7:
                out.add((src, met, "threshold_score", b.index[i]))
            if b.pr.iloc[i] < 0.7:
                out.add((src, met, "threshold_pass_rate", b.index[i]))
        v = b.avg.reset_index(drop=True)
        if len(v) >= 5:
            for det, hit in (("z_score", ref_z(v)), ("moving_average", ref_ma(v)), ("rate_of_change", ref_roc(v))):
                for i in np.flatnonzero(hit.to_numpy()):
                    if i >= 4 and (scan or i == len(v) - 1):
                        out.add((src, met, det, b.index[i]))
    rec = df.drop_duplicates("dataset_id").copy()
    rec["bucket"] = rec.timestamp.dt.floor(floor)
    for src, g in rec.groupby("source_name"):
        p95 = g.groupby("bucket").latency.quantile(0.95)
        idx = range(len(p95)) if scan else [len(p95) - 1]
        for i in idx:
            if p95.iloc[i] > 1000:
                out.add((src, "latency", "threshold_latency", p95.index[i]))
    c = df[df.metric_category == "CLASSIFICATION"].copy()
    c["bucket"] = c.timestamp.dt.floor(floor)
    for (src, met), g in c.groupby(["source_name", "metric_name"]):
        ct = pd.crosstab(g.bucket, g.explanation)
        shares = ct.div(ct.sum(axis=1), axis=0)
        for cat in shares.columns:
            v = shares[cat].reset_index(drop=True)
            if len(v) < 5:
                continue
            for det, hit in (("z_score", ref_z(v)), ("moving_average", ref_ma(v)), ("rate_of_change", ref_roc(v))):
                for i in np.flatnonzero(hit.to_numpy()):
                    if i >= 4 and (scan or i == len(v) - 1):
                        out.add((src, met, det, shares.index[i], cat))
    return out


def as_set(a: pd.DataFrame) -> set:
    out = set()
    for r in a.itertuples(index=False):
        key = (r.source_name, r.metric_name, r.detector, pd.Timestamp(r.bucket))
        out.add(key + ((r.category,) if isinstance(r.category, str) else ()))
    return out


@pytest.mark.parametrize("granularity,scan", [("day", False), ("day", True), ("hour", False), ("hour", True)])
def test_alerts_match_pandas_pipeline(ctx_for, mon_frame, granularity, scan):
    got = al.alerts(ctx_for("mon"), granularity=granularity, scan=scan)
    assert list(got.columns[:7]) == ["source_name", "metric_name", "detector", "severity", "bucket",
                                     "value", "message"]
    assert as_set(got) == pandas_alerts(mon_frame, granularity, scan)
    assert set(got.severity) <= {"warning", "error"}


@pytest.fixture(scope="module", params=[(45_000, 0), (120_000, 5)], ids=["45k-seed0", "120k-seed5"])
def incident_store(request, tmp_path_factory):
    n, seed = request.param
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("inc") / "inc.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(demo_incidents.monitoring_incidents(n, seed=seed), name="inc", kind="monitoring")
        store.load(demo_incidents.monitoring_incidents(n, seed=seed, incidents=False), name="healthy",
                   kind="monitoring")
    yield store
    store.close()


INCIDENT_SERIES = {(i["source_name"], i["metric_name"]) for i in demo_incidents.planted_incidents()}


@pytest.mark.parametrize("granularity,scan", [("day", False), ("day", True), ("hour", True)])
def test_planted_incidents_flagged_and_nothing_else(incident_store, granularity, scan):
    a = incident_store.analytic("inc", "alerts", granularity=granularity, scan=scan)
    series = set(zip(a.source_name, a.metric_name))
    assert series == INCIDENT_SERIES
    floor = "D" if granularity == "day" else "h"
    for inc in demo_incidents.planted_incidents():
        sub = a[(a.source_name == inc["source_name"]) & (a.metric_name == inc["metric_name"])]
        assert (pd.to_datetime(sub.bucket) >= pd.Timestamp(inc["start"]).floor(floor)).all(), inc["kind"]
        kinds = set(sub.detector)
        if inc["kind"] == "latency_spike":
            assert kinds == {"threshold_latency"}
        elif inc["kind"] == "score_drop":
            assert {"threshold_score", "threshold_pass_rate"} <= kinds
            if granularity == "day":
                assert {"z_score", "moving_average"} <= kinds
        else:
            assert "billing" in set(sub.category) and {"z_score", "moving_average"} <= kinds


def test_latest_hour_reports_current_incidents(incident_store):
    a = incident_store.analytic("inc", "alerts", granularity="hour")
    # 30 hours into the score drop the hourly window has adapted, but thresholds still fire
    assert set(zip(a.source_name, a.metric_name)) == {("Nova", "accuracy"), ("Atlas", "latency")}


@pytest.mark.parametrize("granularity", ["hour", "day"])
def test_healthy_data_has_no_alerts(incident_store, granularity):
    for scan in (False, True):
        a = incident_store.analytic("healthy", "alerts", granularity=granularity, scan=scan)
        assert a.empty, a[["source_name", "metric_name", "category", "detector", "bucket", "message"]].head()


# ------------------------------------------------------------------ configuration
def test_per_source_thresholds_from_yaml(incident_store, _config_dir):
    (_config_dir / "monitoring.yaml").write_text(yaml.safe_dump({"monitoring": {
        "thresholds": {"per_source": {"Atlas": {"good": 0.9, "pass": 0.8}}}}}))
    a = incident_store.analytic("healthy", "alerts", granularity="day")
    atlas = a[a.source_name == "Atlas"]
    assert set(atlas.detector) == {"threshold_score", "threshold_pass_rate"}
    assert set(a.source_name) == {"Atlas"}
    h = incident_store.analytic("healthy", "health", level="source").set_index("source_name")
    assert h.at["Atlas", "health"] == "warning" and h.at["Atlas", "good"] == 0.9
    assert h.at["Nova", "health"] == "healthy"


def test_config_parameter_and_visible_metrics(incident_store, _config_dir):
    off = {"anomaly_detection": {"enabled": False}}
    a = incident_store.analytic("inc", "alerts", config=off)
    assert set(a.group) == {"threshold"}
    (_config_dir / "monitoring.yaml").write_text("monitoring:\n  visible_metrics: [relevance]\n")
    a = incident_store.analytic("inc", "alerts")
    assert ("Nova", "accuracy") not in set(zip(a.source_name, a.metric_name))
    h = incident_store.analytic("inc", "hierarchy")
    assert set(h.metric_name.dropna()) == {"relevance"}


def test_alert_messages_and_status_section(incident_store):
    a = incident_store.analytic("inc", "alerts")
    assert a.severity.iloc[0] == "error"  # errors first
    msg = a[a.detector == "threshold_latency"].message.iloc[0]
    assert msg.startswith("Atlas: p95 latency") and "above 1,000" in msg
    out = al.status_section(incident_store)
    assert set(out.dataset) == {"inc"}  # the healthy set reports nothing
    from axis_jupyter.notebook.magic import STATUS_SECTIONS

    assert any(title == "Alerts" for title, _ in STATUS_SECTIONS)


@pytest.mark.parametrize("cfg,key", [
    ({"thresholds": {"default": {"good": 1.4}}}, "thresholds.default.good"),
    ({"thresholds": {"default": {"good": 0.6, "pass": 0.65}}}, "thresholds.default.pass"),
    ({"thresholds": {"per_source": {"Atlas": {"god": 0.7}}}}, "thresholds.per_source.Atlas.god"),
    ({"anomaly_detection": {"min_data_points": 2}}, "anomaly_detection.min_data_points"),
    ({"anomaly_detection": {"z_score": {"threshold": "high"}}}, "anomaly_detection.z_score.threshold"),
    ({"anomaly_detection": {"z_score": {"severity": "fatal"}}}, "anomaly_detection.z_score.severity"),
    ({"anomaly_detection": {"moving_average": {"window_size": 1}}}, "anomaly_detection.moving_average.window_size"),
    ({"anomaly_detection": {"rate_of_change": {"metrics": "accuracy"}}}, "anomaly_detection.rate_of_change.metrics"),
    ({"visible_metric": ["a"]}, "visible_metric"),
    ({"threshold_alerts": {"latency_p95_max": -1}}, "threshold_alerts.latency_p95_max"),
])
def test_monitoring_config_errors_name_the_key(cfg, key):
    with pytest.raises(axis_jupyter.errors.ConfigError) as e:
        monitoring_config.validate_monitoring(cfg)
    assert key in str(e.value)


def test_monitoring_config_defaults_and_file(_config_dir):
    cfg = monitoring_config.load_monitoring()
    assert cfg["thresholds"]["default"] == {"good": 0.7, "pass": 0.5}
    ad = cfg["anomaly_detection"]
    assert (ad["min_data_points"], ad["z_score"]["threshold"], ad["z_score"]["lookback_window"],
            ad["moving_average"]["window_size"], ad["moving_average"]["deviation_threshold"],
            ad["rate_of_change"]["threshold"], ad["rate_of_change"]["severity"]) == (5, 2.0, 20, 5, 0.15, 0.3, "error")
    # the reference's file layout (monitoring_db:, connection keys) is accepted
    (_config_dir / "monitoring.yaml").write_text(
        "monitoring_db:\n  enabled: true\n  host: db\n  thresholds:\n    default: {good: 0.8}\n")
    assert monitoring_config.load_monitoring()["thresholds"]["default"] == {"good": 0.8, "pass": 0.5}
    (_config_dir / "monitoring.yaml").write_text("monitoring:\n  thresholds: [1, 2\n")
    with pytest.raises(axis_jupyter.errors.ConfigError, match="monitoring.yaml: not valid YAML at line"):
        monitoring_config.load_monitoring()
    path = monitoring_config.save_monitoring({"visible_metrics": ["relevance"]})
    assert monitoring_config.load_monitoring(path.parent)["visible_metrics"] == ["relevance"]
