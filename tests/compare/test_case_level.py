"""Win/loss, the case-level diff, the experiment grid, agreement and the exports, against
pandas computations on the same generated data (DuckDB and PostgreSQL)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import compare as C
from axis_jupyter.errors import QueryError
from support.checks import assert_mean_or_missing


def case_frame(df, b="base", c="chal", metrics=None):
    d = df.dropna(subset=["metric_score"])
    if metrics:
        d = d[d.metric_name.isin(metrics)]
    p = d[d.evaluation_name.isin([b, c])].pivot_table(
        index=["dataset_id", "metric_name"], columns="evaluation_name", values="metric_score", aggfunc="mean")
    p = p.dropna(subset=[b, c])
    o = p.groupby("dataset_id").agg(bs=(b, "mean"), cs=(c, "mean"), n=(b, "size"))
    o["delta"] = o.cs - o.bs
    return o


def expected_outcome(delta, band=0.01):
    return np.where(delta > band, "challenger", np.where(delta < -band, "baseline", "tie"))


def test_win_loss_matches_pandas(ctx_for, frames):
    got = C.win_loss(ctx_for("paired"), "base", "chal", tie_band=0.01)
    o = case_frame(frames["paired"])
    o["outcome"] = expected_outcome(o.delta)
    assert got.outcome.tolist() == ["challenger", "baseline", "tie"]
    assert got.experiment.tolist()[:2] == ["chal", "base"] and pd.isna(got.experiment.iloc[2])
    for r in got.to_dict("records"):
        sel = o[o.outcome == r["outcome"]]
        assert r["cases"] == len(sel)
        assert r["share"] == pytest.approx(len(sel) / len(o))
        assert_mean_or_missing(r["mean_delta"], sel.delta)
    assert got.cases.sum() == len(o)


def test_win_loss_per_metric(ctx_for, frames):
    got = C.win_loss(ctx_for("paired"), "base", "chal", level="metric", tie_band=0.0)
    g = got[got.metric_name == "m_identical"].set_index("outcome")
    assert g.loc["tie", "cases"] == 30 and g.loc["challenger", "cases"] == 0
    g = got[got.metric_name == "m_shift"].set_index("outcome")
    assert g.loc["challenger", "cases"] == 20 and g.loc["challenger", "share"] == 1.0
    with pytest.raises(QueryError):
        C.win_loss(ctx_for("paired"), "base", "chal", level="nope")


def test_case_diff_page_sort_and_filters(ctx_for, frames):
    ctx = ctx_for("paired")
    o = case_frame(frames["paired"])
    o["absd"] = o.delta.abs()
    exp = o
    exp = exp.reset_index().sort_values(["absd", "dataset_id"], ascending=[False, True]).reset_index(drop=True)
    page2 = C.case_diff(ctx, "base", "chal", page=2, page_size=7)
    assert page2.total.iloc[0] == len(o)
    assert page2.position.tolist() == list(range(8, 15))
    assert page2.case_id.tolist() == exp.dataset_id.iloc[7:14].tolist()
    np.testing.assert_allclose(page2.delta, exp.delta.iloc[7:14], rtol=1e-9)
    r = page2.iloc[0]
    assert r["query"] == f"question {r.case_id}"
    assert r["baseline_response"].startswith(f"base:{r.case_id}:")
    assert r["challenger_response"].startswith(f"chal:{r.case_id}:")
    mets = {m["metric_name"]: m for m in r["metrics"]}
    d = frames["paired"]
    for name, m in mets.items():
        rows = d[(d.dataset_id == r.case_id) & (d.metric_name == name)]
        assert_mean_or_missing(m["baseline"], rows[rows.evaluation_name == "base"].metric_score)
    # filters
    wins = C.case_diff(ctx, "base", "chal", outcome="wins", page_size=500)
    assert (wins.delta > 0.01).all() and len(wins) == int((o.delta > 0.01).sum())
    losses = C.case_diff(ctx, "base", "chal", outcome="losses", page_size=500)
    assert (losses.delta < -0.01).all() and len(losses) == int((o.delta < -0.01).sum())
    large = C.case_diff(ctx, "base", "chal", outcome="large", large_threshold=0.1, page_size=500)
    assert len(large) == int((o.absd >= 0.1).sum())
    asc = C.case_diff(ctx, "base", "chal", sort_by="delta", descending=False, page_size=3)
    np.testing.assert_allclose(asc.delta, np.sort(o.delta.to_numpy())[:3], rtol=1e-9)


def test_case_diff_search_and_jump(ctx_for):
    ctx = ctx_for("paired")
    got = C.case_diff(ctx, "base", "chal", search="QUESTION c0042")
    assert got.case_id.tolist() == ["c0042"] and got.total.iloc[0] == 1
    jump = C.case_diff(ctx, "base", "chal", page_size=5, case_id="c0042")
    assert "c0042" in jump.case_id.tolist()
    empty = C.case_diff(ctx, "base", "chal", search="no such text anywhere")
    assert empty.empty and "metrics" in empty.columns
    one = C.case_diff(ctx, "base", "chal", page_size=1, page=3)
    assert len(one) == 1 and one.position.iloc[0] == 3
    with pytest.raises(QueryError):
        C.case_diff(ctx, "base", "chal", sort_by="bogus")
    with pytest.raises(QueryError):
        C.case_diff(ctx, "base", "chal", page_size=0)


def test_experiments_grid(ctx_for, frames):
    got = C.experiments(ctx_for("paired"))
    d = frames["paired"].dropna(subset=["metric_score"])
    assert set(got.evaluation_name) == {"base", "chal", "third"}
    g = got[(got.evaluation_name == "chal") & (got.metric_name == "m_cont")].iloc[0]
    s = d[(d.evaluation_name == "chal") & (d.metric_name == "m_cont")].metric_score
    assert g["count"] == len(s) and g["mean"] == pytest.approx(s.mean())
    per_case = d[d.evaluation_name == "base"].groupby("dataset_id").metric_score.mean()
    b = got[got.evaluation_name == "base"].iloc[0]
    assert b["cases"] == len(per_case) and b["experiment_mean"] == pytest.approx(per_case.mean())
    assert got.pass_rate.between(0, 1).all()


def test_agreement_matches_pandas(ctx_for, frames):
    got = C.agreement(ctx_for("paired"), threshold=0.5)
    d = frames["paired"].dropna(subset=["metric_score"])
    p = d.pivot_table(index=["dataset_id", "metric_name"], columns="evaluation_name", values="metric_score")
    both = p[["base", "chal"]].dropna() >= 0.5
    r = got[(got.experiment_a == "base") & (got.experiment_b == "chal")].iloc[0]
    assert r["n"] == len(both)
    assert r["both_pass"] == int((both.base & both.chal).sum())
    assert r["a_only"] == int((both.base & ~both.chal).sum())
    assert r["b_only"] == int((~both.base & both.chal).sum())
    assert r["agreement"] == pytest.approx((both.base == both.chal).mean())
    po = (both.base == both.chal).mean()
    pa, pb = both.base.mean(), both.chal.mean()
    pe = pa * pb + (1 - pa) * (1 - pb)
    assert r["kappa"] == pytest.approx((po - pe) / (1 - pe))
    rev = got[(got.experiment_a == "chal") & (got.experiment_b == "base")].iloc[0]
    assert rev["a_only"] == r["b_only"] and len(got) == 9


def test_paired_scores(ctx_for, frames):
    got = C.paired_scores(ctx_for("paired"), "m_missing", "base", "chal")
    assert len(got) == 40 and (got.delta == got.challenger - got.baseline).all()


def test_exports(ctx_for):
    ctx = ctx_for("paired")
    csv = C.export(ctx, "base", "chal", format="csv")
    back = pd.read_csv(io.StringIO(csv))
    assert list(back.columns) == C.COMPARE_COLUMNS and len(back) == 10
    doc = json.loads(C.export(ctx, "base", "chal", format="json"))
    assert doc["meta"]["baseline"] == "base" and len(doc["metrics"]) == 10
    assert {w["outcome"] for w in doc["win_loss"]} == {"challenger", "baseline", "tie"}
    assert doc["meta"]["verdict"]["winner"] in ("challenger", "baseline", "tie")
    md = C.export(ctx, "base", "chal", format="markdown")
    assert md.startswith("# chal vs base") and "| m_cont |" in md and "one experiment only" in md
    assert "Win/loss" in md
    with pytest.raises(QueryError):
        C.export(ctx, "base", "chal", format="xml")
