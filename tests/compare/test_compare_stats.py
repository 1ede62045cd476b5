"""Every statistic of ``compare`` against scipy.stats on generated data, on DuckDB and on
PostgreSQL: paired t (ttest_rel), Wilcoxon signed-rank (wilcoxon, both the normal
approximation computed from SQL ranks and the small-n path), Welch (ttest_ind with
equal_var=False), their confidence intervals, Holm's correction (checked by hand), Cohen's d,
and the degenerate cases: ties, zeros, single-case groups, missing scores, a metric scored by
one experiment only, identical experiments and a constant difference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from axis_jupyter.analytics import compare as C
from axis_jupyter.errors import QueryError

RTOL = 1e-9


def close(a, b, rtol=RTOL, atol=1e-12):
    assert a is not None and b is not None
    if isinstance(b, float) and math.isnan(b):
        assert math.isnan(a)
        return
    assert a == pytest.approx(b, rel=rtol, abs=atol)


def sides(df, metric, b="base", c="chal"):
    """Per-case scores of each side (NaN dropped), and the paired arrays on shared cases."""
    d = df[df.metric_name == metric].dropna(subset=["metric_score"])
    p = d.pivot_table(index="dataset_id", columns="evaluation_name", values="metric_score", aggfunc="mean")
    xb = p[b].dropna().to_numpy() if b in p else np.array([])
    xc = p[c].dropna().to_numpy() if c in p else np.array([])
    both = p[[b, c]].dropna() if b in p and c in p else pd.DataFrame(columns=[b, c])
    return xb, xc, both[b].to_numpy(), both[c].to_numpy()


@pytest.fixture(scope="module")
def paired_result(ctx_for):
    return C.compare(ctx_for("paired"), "base", "chal").set_index("metric_name")


@pytest.fixture(scope="module")
def unpaired_result(ctx_for):
    return C.compare(ctx_for("unpaired"), "base", "chal").set_index("metric_name")


def pooled_d(xb, xc):
    nb, nc = len(xb), len(xc)
    sp = math.sqrt(((nb - 1) * np.var(xb, ddof=1) + (nc - 1) * np.var(xc, ddof=1)) / (nb + nc - 2))
    return (xc.mean() - xb.mean()) / sp


@pytest.mark.parametrize("metric", ["m_cont", "m_big", "m_ties", "m_small", "m_missing"])
def test_paired_t_matches_scipy(paired_result, frames, metric):
    r = paired_result.loc[metric]
    xb, xc, pb, pc = sides(frames["paired"], metric)
    assert r.test == "paired_t"
    assert r.n_baseline == len(xb) and r.n_challenger == len(xc) and r.n_pairs == len(pb)
    close(r.baseline_mean, xb.mean())
    close(r.challenger_mean, xc.mean())
    close(r["delta"], xc.mean() - xb.mean())
    close(r["pct_change"], (xc.mean() - xb.mean()) / abs(xb.mean()))
    close(r.mean_diff, (pc - pb).mean())
    res = stats.ttest_rel(pc, pb)
    close(r.statistic, res.statistic, rtol=1e-8)
    close(r.p_value, res.pvalue, rtol=1e-7)
    assert r["df"] == len(pb) - 1
    ci = res.confidence_interval(0.95)
    close(r.ci_low, ci.low, rtol=1e-8)
    close(r.ci_high, ci.high, rtol=1e-8)
    close(r.cohens_d, pooled_d(xb, xc), rtol=1e-8)
    close(r.baseline_std, np.std(xb, ddof=1), rtol=1e-8)


@pytest.mark.parametrize("metric", ["m_cont", "m_big", "m_ties", "m_small", "m_missing", "m_shift"])
def test_wilcoxon_matches_scipy(paired_result, frames, metric):
    r = paired_result.loc[metric]
    _, _, pb, pc = sides(frames["paired"], metric)
    res = stats.wilcoxon(pc - pb)  # scipy defaults: zeros dropped, no continuity correction
    close(r.wilcoxon_stat, float(res.statistic), rtol=1e-9)
    close(r.wilcoxon_p, float(res.pvalue), rtol=1e-7)


def test_large_n_uses_sql_ranks_with_ties_and_zeros(paired_result, frames):
    """m_big has 300 pairs with many tied |d| and zeros: the SQL rank sum and tie term must
    give scipy's asymptotic p exactly (not just approximately)."""
    _, _, pb, pc = sides(frames["paired"], "m_big")
    d = pc - pb
    assert (d == 0).sum() > 10 and len(np.unique(np.abs(d[d != 0]))) < len(d) / 3
    res = stats.wilcoxon(d, method="asymptotic")
    close(paired_result.loc["m_big"].wilcoxon_p, float(res.pvalue), rtol=1e-9)


def test_small_n_with_ties_uses_scipy_on_the_differences(paired_result, frames):
    _, _, pb, pc = sides(frames["paired"], "m_ties")
    assert len(pb) <= C.SMALL_WILCOXON_N
    close(paired_result.loc["m_ties"].wilcoxon_p, float(stats.wilcoxon(pc - pb).pvalue), rtol=1e-9)


def test_missing_scores_pair_on_shared_cases(paired_result, frames):
    r = paired_result.loc["m_missing"]
    assert r.n_challenger == 40 and r.n_baseline == 60 and r.n_pairs == 40
    assert "paired on the 40 cases" in r.note


def test_holm_by_hand(paired_result):
    p = paired_result["p_value"].dropna().sort_values()
    m = len(p)
    expected, running = {}, 0.0
    for i, (name, pv) in enumerate(p.items()):
        running = max(running, min(1.0, (m - i) * pv))
        expected[name] = running
    for name, adj in expected.items():
        close(paired_result.loc[name, "p_value_adjusted"], adj)
    assert paired_result.loc[paired_result.p_value.isna(), "p_value_adjusted"].isna().all()
    sig = paired_result["p_value_adjusted"] < 0.05
    assert (paired_result["significant"] == sig).all()


def test_holm_function_edge_cases():
    np.testing.assert_allclose(C.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    out = C.holm([np.nan, 0.2, 0.9])
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.4) and out[2] == pytest.approx(0.9)
    assert np.isnan(C.holm([np.nan])).all()


def test_identical_experiments(paired_result):
    r = paired_result.loc["m_identical"]
    assert r["delta"] == 0 and r.mean_diff == 0 and r.p_value == 1.0 and r.wilcoxon_p == 1.0
    assert r.cohens_d == 0 and r.effect_size == "negligible"
    assert r.ci_low == 0 and r.ci_high == 0
    assert "identical" in r.note and not r.significant


def test_constant_difference(paired_result):
    r = paired_result.loc["m_shift"]
    close(r.mean_diff, 0.25)
    assert r.p_value == 0.0 and math.isinf(r.statistic) and r.ci_low == r.ci_high == 0.25
    assert "same amount" in r.note


def test_single_case_and_one_sided_metrics(paired_result):
    r = paired_result.loc["m_single"]
    assert r.n_pairs == 1 and r.test == "welch" and math.isnan(r.p_value)
    close(r["delta"], 0.2)
    assert "at least 2 cases" in r.note
    for metric, side in (("m_only_base", "challenger 'chal'"), ("m_only_chal", "baseline 'base'")):
        r = paired_result.loc[metric]
        assert "one experiment only" in r.note and side in r.note
        assert math.isnan(r["delta"]) and math.isnan(r.p_value) and pd.isna(r.test)
        assert not r.significant


def test_welch_matches_scipy(unpaired_result, frames):
    for metric in ("w1", "w2"):
        r = unpaired_result.loc[metric]
        xb, xc, _, _ = sides(frames["unpaired"], metric)
        res = stats.ttest_ind(xc, xb, equal_var=False)
        assert r.test == "welch" and r.n_pairs == 0 and math.isnan(r.wilcoxon_p)
        close(r.statistic, res.statistic, rtol=1e-8)
        close(r.p_value, res.pvalue, rtol=1e-7)
        close(r["df"], res.df, rtol=1e-8)
        ci = res.confidence_interval(0.95)
        close(r.ci_low, ci.low, rtol=1e-8)
        close(r.ci_high, ci.high, rtol=1e-8)
        close(r.cohens_d, pooled_d(xb, xc), rtol=1e-8)
        assert r.effect_size == C.effect_label(pooled_d(xb, xc))


def test_welch_single_case_group(unpaired_result):
    r = unpaired_result.loc["w_one"]
    assert r.n_baseline == 1 and r.n_challenger == 5 and math.isnan(r.p_value)
    assert "at least 2 cases" in r.note
    # Cohen's d still defined: the single case adds no spread to the pooled sd.
    xc = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    close(r.cohens_d, (xc.mean() - 0.5) / math.sqrt(np.var(xc, ddof=1) * 4 / 4), rtol=1e-8)


def test_forced_welch_on_paired_data(ctx_for, frames):
    r = C.compare(ctx_for("paired"), "base", "chal", metrics=["m_cont"], paired=False).iloc[0]
    xb, xc, _, _ = sides(frames["paired"], "m_cont")
    assert r.test == "welch"
    close(r.p_value, stats.ttest_ind(xc, xb, equal_var=False).pvalue, rtol=1e-7)


def test_alpha_sets_the_ci_level(ctx_for, frames):
    r = C.compare(ctx_for("paired"), "base", "chal", metrics=["m_cont"], alpha=0.1).iloc[0]
    _, _, pb, pc = sides(frames["paired"], "m_cont")
    ci = stats.ttest_rel(pc, pb).confidence_interval(0.9)
    close(r.ci_low, ci.low, rtol=1e-8)


def test_third_experiment_and_requested_missing_metric(ctx_for, frames):
    r = C.compare(ctx_for("paired"), "base", "third", metrics=["m_cont", "nope"]).set_index("metric_name")
    xb, xc, pb, pc = sides(frames["paired"], "m_cont", "base", "third")
    close(r.loc["m_cont"].p_value, stats.ttest_rel(pc, pb).pvalue, rtol=1e-7)
    assert r.loc["nope"].note == "no scores in either experiment"


def test_columns_and_bad_input(ctx_for):
    ctx = ctx_for("paired")
    res = C.compare(ctx, "base", "chal")
    assert list(res.columns) == C.COMPARE_COLUMNS
    assert res.metric_name.tolist() == sorted(res.metric_name)
    for col in ("metric_name", "baseline_mean", "challenger_mean", "delta", "p_value", "p_value_adjusted",
                "test", "cohens_d", "ci_low", "ci_high", "n_pairs"):
        assert col in res.columns
    with pytest.raises(QueryError, match="two different"):
        C.compare(ctx, "base", "base")
    with pytest.raises(QueryError, match="not an experiment"):
        C.compare(ctx, "base", "missing")
    with pytest.raises(QueryError, match="pass baseline"):
        C.compare(ctx)  # three experiments: no automatic choice
    with pytest.raises(QueryError, match="alpha"):
        C.compare(ctx, "base", "chal", alpha=2)


def test_auto_pick_with_two_experiments(ctx_for):
    res = C.compare(ctx_for("unpaired"))
    assert res.baseline.iloc[0] == "base" and res.challenger.iloc[0] == "chal"


def test_store_and_registry(duck):
    res = duck.analytic("paired", "compare", baseline="base", challenger="chal", metrics=["m_cont"])
    assert len(res) == 1 and res.test.iloc[0] == "paired_t"


def test_long_fallback_gives_the_same_numbers(ctx_for, monkeypatch):
    """More metrics than the one-pass pivot holds: the (metric, case) grouping gives the same."""
    wide = C.compare(ctx_for("paired"), "base", "chal")
    monkeypatch.setattr(C, "MAX_WIDE_METRICS", 0)
    long = C.compare(ctx_for("paired"), "base", "chal")
    pd.testing.assert_frame_equal(wide, long, rtol=1e-9)
