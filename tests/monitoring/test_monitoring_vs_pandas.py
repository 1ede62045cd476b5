"""Monitoring analytics against independent pandas/numpy computations on generated data,
on DuckDB and on PostgreSQL (the same Ibis expressions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import alerts as al
from axis_jupyter.analytics import classification as cl
from axis_jupyter.analytics import monitoring as mon

FLOOR = {"hour": "h", "day": "D"}


def bucket(ts: pd.Series, granularity: str) -> pd.Series:
    if granularity == "week":
        return ts.dt.to_period("W-SUN").dt.start_time
    return ts.dt.floor(FLOOR[granularity])


def scores(df: pd.DataFrame) -> pd.DataFrame:
    return df[(df.metric_category == "SCORE") & df.metric_score.notna()]


def q(p):
    return lambda s: float(np.quantile(s.to_numpy(), p))  # numpy default: linear


def norm_ts(s: pd.Series) -> pd.Series:
    s = pd.to_datetime(s)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.astype("datetime64[us]")


@pytest.mark.parametrize("granularity", ["hour", "day", "week"])
def test_trends(ctx_for, mon_frame, granularity):
    got = mon.trends(ctx_for("mon"), granularity=granularity)
    s = scores(mon_frame)
    exp = s.groupby([bucket(s.timestamp, granularity).rename("bucket"), "metric_name"]).metric_score.agg(
        count="count", avg="mean", p50=q(0.5), p95=q(0.95), p99=q(0.99)).reset_index()
    got = got.assign(bucket=norm_ts(got.bucket)).sort_values(["bucket", "metric_name"], ignore_index=True)
    exp = exp.assign(bucket=norm_ts(exp.bucket)).sort_values(["bucket", "metric_name"], ignore_index=True)
    assert len(got) == len(exp)
    assert (got.bucket == exp.bucket).all() and (got.metric_name == exp.metric_name).all()
    assert (got["count"].astype(int) == exp["count"]).all()
    for c in ("avg", "p50", "p95", "p99"):
        np.testing.assert_allclose(got[c].astype(float), exp[c], rtol=1e-9, atol=1e-12, err_msg=c)


def test_latency_percentiles(ctx_for, mon_frame):
    got = mon.latency(ctx_for("mon"), by="source_name")
    rec = mon_frame.drop_duplicates("dataset_id")
    for src, g in rec.groupby("source_name"):
        row = got[got.source_name == src].iloc[0]
        lat = g.latency.to_numpy()
        assert int(row["count"]) == len(lat)
        for p in (50, 95, 99):
            assert float(row[f"p{p}"]) == pytest.approx(np.percentile(lat, p), rel=1e-9)
        assert float(row["mean"]) == pytest.approx(lat.mean(), rel=1e-9)


@pytest.mark.parametrize("bins", [5, 20, 37])
def test_latency_histogram(ctx_for, mon_frame, bins):
    got = mon.latency_histogram(ctx_for("mon"), bins=bins)
    lat = mon_frame.drop_duplicates("dataset_id").latency.to_numpy()
    counts, edges = np.histogram(lat, bins=bins)
    assert got["count"].astype(int).tolist() == counts.tolist()
    np.testing.assert_allclose(got.bin_start, edges[:-1])
    np.testing.assert_allclose(got.bin_end, edges[1:])


def test_latency_histogram_grouped_shares_edges(ctx_for, mon_frame):
    got = mon.latency_histogram(ctx_for("mon"), bins=10, by="environment")
    rec = mon_frame.drop_duplicates("dataset_id")
    _, edges = np.histogram(rec.latency, bins=10)
    for env, g in rec.groupby("environment"):
        c, _ = np.histogram(g.latency, bins=edges)
        assert got[got.group == env]["count"].astype(int).tolist() == c.tolist()


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.85])
def test_pass_rates(ctx_for, mon_frame, threshold):
    got = mon.pass_rates(ctx_for("mon"), threshold=threshold).set_index("metric_name")
    s = scores(mon_frame)
    exp = s.groupby("metric_name").metric_score.agg(count="count", avg="mean",
                                                    pass_rate=lambda x: (x >= threshold).mean())
    assert sorted(got.index) == sorted(exp.index)
    for m in exp.index:
        assert int(got.at[m, "count"]) == exp.at[m, "count"]
        assert float(got.at[m, "pass_rate"]) == pytest.approx(exp.at[m, "pass_rate"], abs=1e-12)
        assert float(got.at[m, "avg"]) == pytest.approx(exp.at[m, "avg"], rel=1e-12)


def test_classification_counts(ctx_for, mon_frame):
    got = cl.classification(ctx_for("mon"))
    c = mon_frame[mon_frame.metric_category == "CLASSIFICATION"]
    vc = c.explanation.value_counts()
    g = got[got.metric_name == "intent"].set_index("category")
    assert set(g.index) == set(vc.index)
    for cat, n in vc.items():
        assert int(g.at[cat, "count"]) == n
        assert float(g.at[cat, "share"]) == pytest.approx(n / len(c))
    assert (got["total"] == len(c)).all()
    assert got["count"].tolist() == sorted(got["count"].tolist(), reverse=True)  # most frequent first


def test_classification_by_output_column(ctx_for, mon_frame):
    got = cl.classification(ctx_for("mon"), category_source="actual_output")
    c = mon_frame[mon_frame.metric_category == "CLASSIFICATION"]
    assert dict(zip(got.category, got["count"].astype(int))) == c.actual_output.value_counts().to_dict()


@pytest.mark.parametrize("granularity", ["hour", "day"])
def test_classification_trends(ctx_for, mon_frame, granularity):
    got = cl.classification_trends(ctx_for("mon"), metric="intent", granularity=granularity)
    c = mon_frame[mon_frame.metric_category == "CLASSIFICATION"]
    ct = pd.crosstab(bucket(c.timestamp, granularity), c.explanation)
    got = got.assign(bucket=norm_ts(got.bucket))
    piv = got.pivot_table(index="bucket", columns="category", values="count", aggfunc="sum")
    ct.index = norm_ts(pd.Series(ct.index)).values
    assert piv.shape == ct.shape
    np.testing.assert_array_equal(piv[ct.columns].to_numpy(), ct.to_numpy())
    shares = got.pivot_table(index="bucket", columns="category", values="share", aggfunc="sum")
    np.testing.assert_allclose(shares[ct.columns].to_numpy(), (ct.T / ct.sum(axis=1)).T.to_numpy())


def test_insights_paging(ctx_for, mon_frame):
    ctx = ctx_for("mon")
    a = mon_frame[mon_frame.metric_category == "ANALYSIS"].sort_values(
        ["timestamp", "dataset_id", "metric_name"], ascending=[False, True, True])
    page2 = cl.insights(ctx, page=2, limit=7)
    assert page2["dataset_id"].tolist() == a.dataset_id.iloc[7:14].tolist()
    assert int(page2["total_count"].iloc[0]) == len(a)
    assert page2.attrs["metric_names"] == ["insights"]
    sig = page2["signals"].iloc[0]
    assert isinstance(sig, dict) and sig["overall"][0]["name"] == "topic"
    groups = cl.group_signals(sig)
    assert groups[0]["group"] == "overall" and groups[1]["group"].startswith("statement_0")
    # search narrows server-side
    hit = cl.insights(ctx, search="defect", limit=100)
    assert int(hit["total_count"].iloc[0]) == int(a.explanation.str.contains("defect").sum())


def test_health_levels(ctx_for, mon_frame):
    s = scores(mon_frame)
    for level, keys in al.LEVELS.items():
        got = al.health(ctx_for("mon"), level=level).set_index(keys)
        exp = s.groupby(keys).metric_score.agg(["count", "mean"])
        assert len(got) == len(exp)
        for k, row in exp.iterrows():
            assert int(got.loc[k, "count"]) == row["count"]
            assert float(got.loc[k, "avg"]) == pytest.approx(row["mean"], rel=1e-12)
            want = "healthy" if row["mean"] >= 0.7 else "warning" if row["mean"] >= 0.5 else "critical"
            assert got.loc[k, "health"] == want


def test_hierarchy_scores_deltas_sparklines(ctx_for, mon_frame):
    got = al.hierarchy(ctx_for("mon"), deltas="all")
    s = scores(mon_frame).sort_values(["timestamp", "dataset_id", "metric_name"], kind="stable")
    assert got.level.tolist()[0] == "source"
    for level, keys in al.LEVELS.items():
        rows = got[got.level == level]
        for k, g in s.groupby(keys, sort=True):
            k = k if isinstance(k, tuple) else (k,)
            mask = np.ones(len(rows), bool)
            for col, v in zip(keys, k):
                mask &= (rows[col] == v).to_numpy()
            row = rows[mask].iloc[0]
            v = g.metric_score.to_numpy()
            split = int(np.floor(len(v) * 0.75))
            assert row["count"] == len(v)
            assert row["score"] == pytest.approx(v.mean(), rel=1e-12)
            assert row["delta"] == pytest.approx(v[split:].mean() - v[:split].mean(), rel=1e-9, abs=1e-12)
            daily = g.groupby(g.timestamp.dt.floor("D")).metric_score.mean()
            assert [p["value"] for p in row["sparkline"]] == pytest.approx(daily.tolist(), rel=1e-9)
            assert [p["date"] for p in row["sparkline"]] == [d.strftime("%Y-%m-%d") for d in daily.index]
    leaves = got[got.level == "metric"]
    assert set(leaves.category) == {"SCORE", "CLASSIFICATION", "ANALYSIS"}
    assert (leaves[leaves.category != "SCORE"].health == "unknown").all()
    # parents point at existing keys; depth-first order
    keys = set(got.key)
    assert all(p in keys for p in got.parent.dropna())
    assert got.iloc[1].parent == got.iloc[0].key
    default = al.hierarchy(ctx_for("mon"))
    assert default[default.level != "metric"].delta.isna().all()
    pd.testing.assert_series_equal(default[default.level == "metric"].delta, leaves.delta)
