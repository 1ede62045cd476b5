"""The planner answers from summaries exactly what the raw rows answer (DuckDB and PostgreSQL).

Counts, min, max and pass rates are compared for equality; means and standard deviations to
a relative 1e-9 (the two paths add the same numbers in a different order)."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from axis_jupyter.analytics import scorecard
from axis_jupyter.summaries.keys import SCORECARD_BINS
from summary_data import DAY0, ENVIRONMENTS, EXPERIMENTS, METRICS, SOURCES

EXACT = ["name", "parent", "level", "type", "count", "min", "max", "pass_rate", "weight",
         "norm_weight", *[f"h{i}" for i in range(SCORECARD_BINS)]]
CLOSE = ["mean", "std"]


def random_filters(rng: random.Random) -> dict:
    """Filters on summary keys only: equality, IN lists, IS NULL and whole-day time ranges."""
    f: dict = {}
    choices = {"evaluation_name": EXPERIMENTS, "environment": ENVIRONMENTS,
               "source_name": SOURCES, "metric_name": list(METRICS),
               "metric_type": sorted({m[2] for m in METRICS.values()})}
    for col, values in choices.items():
        r = rng.random()
        if r < 0.3:
            f[col] = rng.choice(values)
        elif r < 0.5:
            picked = [v for v in values if v is not None]
            f[col] = rng.sample(picked, rng.randint(1, len(picked)))
    if rng.random() < 0.4:
        a = rng.randint(0, 4)
        f["time_range"] = [(DAY0 + pd.Timedelta(days=a)).isoformat(),
                           (DAY0 + pd.Timedelta(days=rng.randint(a + 1, 6))).isoformat()]
    return f


def assert_same_scorecard(fast: pd.DataFrame, raw: pd.DataFrame) -> None:
    assert list(fast.columns) == list(raw.columns)
    assert len(fast) == len(raw)
    for col in EXACT:
        assert fast[col].tolist() == raw[col].tolist(), col
    for col in CLOSE:
        for a, b in zip(fast[col], raw[col]):
            if b is None or (isinstance(b, float) and math.isnan(b)):
                assert a is None or math.isnan(a), col
            else:
                assert a == pytest.approx(b, rel=1e-9, abs=1e-12), col


def test_scorecard_bins_agree_with_the_scorecard():
    assert SCORECARD_BINS == scorecard.BINS


def test_scorecard_from_summaries_equals_raw_on_random_filters(backend_ctx):
    rng = random.Random(11)
    answered = 0
    for _ in range(25):
        filters = random_filters(rng)
        ctx = backend_ctx()
        fast = scorecard.scorecard(ctx, filters)
        assert [p["path"] for p in ctx.paths] == ["summary", "summary"], (filters, ctx.paths)
        raw_ctx = backend_ctx()
        raw = scorecard.scorecard(raw_ctx, filters, exact=True)
        assert {p["path"] for p in raw_ctx.paths} == {"raw"}
        assert_same_scorecard(fast, raw)
        answered += len(raw) > 0
    assert answered >= 10  # most random filters select rows


@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_pass_rates_at_each_configured_threshold(backend_ctx, threshold):
    ctx = backend_ctx()
    fast = scorecard.scorecard(ctx, {"environment": "prod"}, threshold=threshold)
    assert ctx.paths[-2]["path"] == "summary"
    raw = scorecard.scorecard(backend_ctx(), {"environment": "prod"}, threshold=threshold, exact=True)
    assert fast["pass_rate"].tolist() == raw["pass_rate"].tolist()


def test_case_counts_equal_raw(backend_ctx):
    rng = random.Random(5)
    for _ in range(15):
        # the cases table has no metric attributes: a case is counted once across metrics
        filters = {k: v for k, v in random_filters(rng).items() if k not in ("metric_name", "metric_type")}
        ctx = backend_ctx()
        fast = ctx.answer("case_count", lambda: pytest.fail("raw path used"), filters=filters)
        assert fast == scorecard.case_count(backend_ctx(), filters)


def test_quantile_counts_means_min_max_equal_raw(backend_ctx):
    from axis_jupyter.analytics import evals

    ctx = backend_ctx()
    fast = evals.quantiles(ctx, filters={"source_name": "web"}, by="evaluation_name")
    assert ctx.paths[-1]["path"] == "summary"
    raw = evals.quantiles(backend_ctx(), filters={"source_name": "web"}, by="evaluation_name", exact=True)
    assert fast[["metric_name", "evaluation_name", "count", "min", "max"]].values.tolist() == \
        raw[["metric_name", "evaluation_name", "count", "min", "max"]].values.tolist()
    assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)
    assert fast["std"].tolist() == pytest.approx(raw["std"].tolist(), rel=1e-7)
