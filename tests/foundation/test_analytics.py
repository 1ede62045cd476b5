"""Every foundation analytic against an independent pandas/numpy computation, on DuckDB and
on PostgreSQL (the same Ibis expressions run on both backends)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter import demo
from axis_jupyter.analytics import evals, monitoring

N_CASES, N_RECORDS = 80, 900


@pytest.fixture(scope="module")
def frames():
    ev = demo.eval_results(N_CASES, seed=3).to_pandas()
    # Holes and ties a real file has: missing scores and repeated values.
    ev.loc[ev.index[::37], "metric_score"] = np.nan
    ev.loc[ev.index[::11], "metric_score"] = 0.5
    mon = demo.monitoring_wide(N_RECORDS, seed=4)
    return ev, mon


@pytest.fixture(scope="module")
def duck(tmp_path_factory, frames):
    ev, mon = frames
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("a") / "a.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(ev, name="ev", kind="evals")
        store.load(mon, name="mon")
    yield store
    store.close()


def _duck_ctx(store, name):
    return lambda: store.read(lambda cur: store.context(cur, name))


# Tolerances: every backend gets rtol = atol = 1e-9 (float sums in another order), quantiles
# included. No backend approximates: Ibis compiles quantiles to DuckDB's quantile_cont,
# PostgreSQL's percentile_cont and Spark's percentile, all exact with linear interpolation
# (Spark's percentile_approx is never used). See README "Beyond one machine".
@pytest.fixture(scope="module", params=["duckdb", "postgres", "spark"])
def ctx_for(request, duck):
    """ctx_for(name) -> AnalyticContext on the chosen backend."""
    from support.pg import context_factory

    pg_uri = request.getfixturevalue("pg_uri") if request.param == "postgres" else None
    spark = request.getfixturevalue("spark") if request.param == "spark" else None
    return context_factory(duck, request.param, pg_uri, prefix="fnd", spark=spark)


def _close(a, b, **kw):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-9, atol=1e-9, **kw)


def test_summary_by_experiment_matches_pandas(ctx_for, frames):
    ev, _ = frames
    got = evals.summary(ctx_for("ev"), by="evaluation_name", threshold=0.7)
    d = ev.dropna(subset=["metric_score"])
    exp = d.groupby(["evaluation_name", "metric_name"]).metric_score.agg(
        count="count", mean="mean", std="std", min="min", max="max",
        pass_rate=lambda s: (s >= 0.7).mean()).reset_index()
    got = got.sort_values(["evaluation_name", "metric_name"]).reset_index(drop=True)
    exp = exp.sort_values(["evaluation_name", "metric_name"]).reset_index(drop=True)
    assert list(got.columns) == ["metric_name", "evaluation_name", "count", "mean", "std", "min", "max", "pass_rate"]
    assert got[["evaluation_name", "metric_name"]].equals(exp[["evaluation_name", "metric_name"]])
    for c in ("count", "mean", "std", "min", "max", "pass_rate"):
        _close(got[c], exp[c])
    assert got.pass_rate.between(0, 1).all()


def test_summary_filters_equality_and_in(ctx_for, frames):
    ev, _ = frames
    got = evals.summary(ctx_for("ev"), filters={"evaluation_name": ["baseline", "candidate_b"],
                                                "metric_type": "metric"})
    d = ev[ev.evaluation_name.isin(["baseline", "candidate_b"]) & (ev.metric_type == "metric")].dropna(subset=["metric_score"])
    exp = d.groupby("metric_name").metric_score.agg(["count", "mean"]).reset_index()
    assert sorted(got.metric_name) == sorted(exp.metric_name)
    got = got.set_index("metric_name").loc[exp.metric_name]
    _close(got["count"], exp["count"])
    _close(got["mean"], exp["mean"])


def test_distribution_matches_numpy_histogram(ctx_for, frames):
    ev, _ = frames
    got = evals.distribution(ctx_for("ev"), metric="faithfulness", bins=20)
    vals = ev[ev.metric_name == "faithfulness"].metric_score.dropna().to_numpy()
    counts, edges = np.histogram(vals, bins=20)
    assert got["count"].tolist() == counts.tolist()
    _close(got.bin_start, edges[:-1])
    _close(got.bin_end, edges[1:])


def test_quantiles_are_continuous(ctx_for, frames):
    ev, _ = frames
    got = evals.quantiles(ctx_for("ev"), metric="tone").iloc[0]
    vals = ev[ev.metric_name == "tone"].metric_score.dropna()
    _close([got["q25"], got["median"], got["q75"]], np.quantile(vals, [0.25, 0.5, 0.75]))


def test_comparison_groups(ctx_for, frames):
    ev, _ = frames
    got = evals.comparison(ctx_for("ev"), by="evaluation_name")
    assert set(got.group) == set(ev.evaluation_name)
    row = got[(got.group == "candidate_a") & (got.metric_name == "tone")].iloc[0]
    vals = ev[(ev.evaluation_name == "candidate_a") & (ev.metric_name == "tone")].metric_score.dropna()
    _close([row["mean"], row["std"], row["count"]], [vals.mean(), vals.std(), len(vals)])


def test_correlation_pairwise_complete(ctx_for, frames):
    ev, _ = frames
    got = evals.correlation(ctx_for("ev"), metrics=["faithfulness", "tone", "conciseness"])
    wide = ev.pivot_table(index=["dataset_id", "evaluation_name"], columns="metric_name",
                          values="metric_score", aggfunc="mean")
    exp = wide[["faithfulness", "tone", "conciseness"]].corr()
    for _, r in got.iterrows():
        _close(r.r, exp.loc[r.metric_x, r.metric_y])


def test_radar_and_scatter(ctx_for, frames):
    ev, _ = frames
    radar = evals.radar(ctx_for("ev"), by="evaluation_name", metrics=["tone", "faithfulness"])
    exp = ev[ev.metric_name.isin(["tone", "faithfulness"])].groupby(["evaluation_name", "metric_name"]).metric_score.mean()
    for _, r in radar.iterrows():
        _close(r["mean"], exp.loc[(r["group"], r.metric_name)])
    sc = evals.scatter(ctx_for("ev"), x="tone", y="faithfulness", color_by="evaluation_name")
    wide = ev.pivot_table(index=["dataset_id", "evaluation_name"], columns="metric_name", values="metric_score").dropna(subset=["tone", "faithfulness"])
    assert len(sc) == len(wide)
    merged = sc.merge(wide.reset_index(), left_on=["dataset_id", "color"], right_on=["dataset_id", "evaluation_name"])
    _close(merged.x, merged.tone)
    _close(merged.y, merged.faithfulness)


def _mon_long(mon) -> pd.DataFrame:
    df = mon.to_pandas()
    score_cols = [c for c in df.columns if c.endswith("_score")]
    long = df.melt(id_vars=["id", "time", "source_name", "env", "latency_ms"], value_vars=score_cols,
                   var_name="metric_name", value_name="metric_score")
    long["metric_name"] = long.metric_name.str.removesuffix("_score")
    return long


@pytest.mark.parametrize("gran,freq", [("hour", "h"), ("day", "D"), ("week", "W")])
def test_trends_match_pandas(ctx_for, frames, gran, freq):
    _, mon = frames
    got = monitoring.trends(ctx_for("mon"), granularity=gran)
    long = _mon_long(mon)
    if freq == "W":
        long["bucket"] = long.time.dt.to_period("W-SUN").dt.start_time
    else:
        long["bucket"] = long.time.dt.floor(freq)
    g = long.groupby(["bucket", "metric_name"]).metric_score
    exp = pd.DataFrame({"count": g.count(), "avg": g.mean(), "p50": g.quantile(0.5),
                        "p95": g.quantile(0.95), "p99": g.quantile(0.99)}).reset_index()
    assert len(got) == len(exp)
    got = got.sort_values(["bucket", "metric_name"]).reset_index(drop=True)
    exp = exp.sort_values(["bucket", "metric_name"]).reset_index(drop=True)
    assert (pd.to_datetime(got.bucket).values == exp.bucket.values).all()
    for c in ("count", "avg", "p50", "p95", "p99"):
        _close(got[c], exp[c])


def test_latency_counts_each_record_once(ctx_for, frames):
    _, mon = frames
    got = monitoring.latency(ctx_for("mon"), by="source_name")
    df = mon.to_pandas()
    assert got["count"].sum() == N_RECORDS  # not 5x: five metrics per record
    for _, r in got.iterrows():
        vals = df[df.source_name == r.source_name].latency_ms
        _close([r["count"], r["mean"], r["min"], r["max"], r.p50, r.p95, r.p99],
               [len(vals), vals.mean(), vals.min(), vals.max(), *np.quantile(vals, [0.5, 0.95, 0.99])])


def test_latency_histogram_shared_edges(ctx_for, frames):
    _, mon = frames
    df = mon.to_pandas()
    got = monitoring.latency_histogram(ctx_for("mon"), bins=15, by="environment")
    edges = np.histogram_bin_edges(df.latency_ms, bins=15)
    for env, sub in got.groupby("group"):
        counts, _ = np.histogram(df[df.env == env].latency_ms, bins=edges)
        assert sub["count"].tolist() == counts.tolist()
        _close(sub.bin_start, edges[:-1])


def test_pass_rates_and_time_filter(ctx_for, frames):
    _, mon = frames
    long = _mon_long(mon)
    start, end = "2026-01-21", "2026-01-23T12:00"
    got = monitoring.pass_rates(ctx_for("mon"), threshold=0.8, filters={"time_range": [start, end],
                                                                         "environment": "prod"})
    sel = long[(long.time >= start) & (long.time < end) & (long.env == "prod")]
    exp = sel.groupby("metric_name").metric_score.agg(count="count", pass_rate=lambda s: (s >= 0.8).mean(), avg="mean")
    got = got.set_index("metric_name").loc[exp.index]
    for c in ("count", "pass_rate", "avg"):
        _close(got[c], exp[c])
