"""The rules analytics (analytics/rules.py) against an independent pandas implementation,
on DuckDB and on PostgreSQL (the same Ibis expressions), with filters and settings."""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter.analytics import rules as R
from axis_jupyter.errors import NotFoundError

import independent as ind


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def ctx(request, rules_store):
    from support.pg import context_factory

    pg_uri = request.getfixturevalue("pg_uri") if request.param == "postgres" else None
    return context_factory(rules_store, request.param, pg_uri, prefix="rul")("rules")


@pytest.fixture(scope="module")
def df(frame):
    return ind.tidy(frame)


def test_summary(ctx, df):
    assert R.rules_summary(ctx).iloc[0].to_dict() == ind.summary(df)


def test_summary_filtered_and_configured(ctx, df):
    got = R.rules_summary(ctx, filters={"product_type": ["mortgage", "auto_loan"]},
                          config={"hard_stops": {"action_value": "refer", "require_empty_mitigants": False}})
    sub = df[df.product_type.isin(["mortgage", "auto_loan"])]
    assert got.iloc[0].to_dict() == ind.summary(sub, "refer", require_empty=False)


def test_rules_by_action_and_product(ctx, df):
    got = R.rules_by_action(ctx, config={"action_colors": {"refer": "#123456"}})
    vc = df.action.value_counts()
    want = sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))
    assert list(zip(got.action, got["count"])) == want
    colors = [("#123456" if a == "refer" else ind.PALETTE[i % 8]) for i, (a, _) in enumerate(want)]
    assert got.color.tolist() == colors
    prod = R.rules_by_product(ctx)
    pc = df.product_type.value_counts()
    assert dict(zip(prod.product_type, prod["count"])) == pc.to_dict()
    assert prod.share.sum() == pytest.approx(1.0)
    assert prod.share.tolist() == pytest.approx((prod["count"] / len(df)).tolist())


def test_hard_stops(ctx, df):
    got = R.hard_stops(ctx)
    want = sorted(df.loc[(df.action == "decline") & (df.mitigants.map(len) == 0), "id"])
    assert got.id.tolist() == want
    assert all(m == [] for m in got.mitigants)


def test_decision_quality_and_soft_thresholds(ctx, df):
    got = R.decision_quality(ctx)
    for q in ("aligned", "divergent", "partial"):
        assert got.loc[got.quality == q, "id"].tolist() == sorted(df.loc[df.decision_quality == q, "id"])
    assert got.quality.tolist() == sorted(got.quality, key=["aligned", "divergent", "partial"].index)
    renamed = R.decision_quality(ctx, config={"quality_values": {"aligned": "partial", "partial": "aligned"}})
    assert set(renamed.loc[renamed.quality == "aligned", "id"]) == set(df.loc[df.decision_quality == "partial", "id"])
    soft = R.soft_thresholds(ctx)
    assert soft.id.tolist() == sorted(df.loc[df.threshold_type == "soft", "id"])
    assert R.soft_thresholds(ctx, config={"soft_threshold_value": "hard"}).id.tolist() == sorted(
        df.loc[df.threshold_type == "hard", "id"])


def test_status_counts_and_batches(ctx, df):
    st = R.status_counts(ctx)
    assert dict(zip(st.ingestion_status, st["count"])) == df.ingestion_status.value_counts().to_dict()
    got = R.batches(ctx)
    for b, grp in df.groupby("batch_id"):
        row = got.set_index("batch_id").loc[b]
        assert row.rules_count == len(grp)
        assert pd.Timestamp(row.created_at) == grp.created_at.min()
        assert row.status_counts == grp.ingestion_status.value_counts().sort_index().to_dict()
        assert row.categories == sorted(grp.risk_category.dropna().unique())
    assert got.created_at.is_monotonic_decreasing


def test_rule_trace(ctx, df):
    r = df.iloc[7]
    got = R.rule_trace(ctx, rule_id=r.id).iloc[0]
    assert (got.id, got.risk_factor, got.rule_name, got.action, got.threshold) == (
        r.id, r.risk_factor, r.rule_name, r.action, r.threshold)
    assert got.mitigants == r.mitigants and got.action_color.startswith("#")
    with pytest.raises(NotFoundError, match="nope"):
        R.rule_trace(ctx, rule_id="nope")


@pytest.mark.parametrize("pairs", [[["approve", "decline"]], [["refer", "escalate"], ["approve", "decline"]], []])
def test_conflicts(ctx, df, pairs):
    got = R.conflicts(ctx, config={"contradictory_pairs": pairs})
    want = ind.conflicts(df, pairs)
    have = {(r.risk_factor, r.product_type): (r.actions, sorted(x["id"] for x in r.conflicting_rules))
            for r in got.itertuples()}
    assert have == want
    assert bool(want) == bool(pairs)  # the generated rules do contradict each other; no pairs, no conflicts
