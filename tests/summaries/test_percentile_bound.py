"""Quartiles from the fine bins stay within the stated bound of the raw quantile_cont, on
distributions chosen to break binning: spikes, values on bin edges, heavy tails, ties at
0 and 1, clusters inside one bin, groups of one and two scores (DuckDB and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import evals
from axis_jupyter.summaries.percentiles import BOUND, quantiles


def adversarial(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = 401
    return {
        "spike": np.r_[np.full(n - 5, 0.3), np.full(5, 0.7)],
        "edges": rng.integers(0, 1001, n) / 1000,  # every score on a fine-bin edge
        "heavy_tail": np.r_[rng.random(n - 3) ** 12, [1.0, 1.0, 1.0]],
        "zero_one": np.r_[np.zeros(200), np.ones(200)],  # the median interpolates 0 and 1
        "cluster": 0.50005 + rng.normal(0, 1e-7, n),  # all inside one bin
        "single": np.array([0.123456]),
        "pair": np.array([0.0001, 0.9999]),
    }


def frame(seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for metric, scores in adversarial(rng).items():
        parts.append(pd.DataFrame({"dataset_id": [f"c{i}" for i in range(len(scores))],
                                   "metric_name": metric, "metric_score": scores,
                                   "evaluation_name": "base"}))
    return pd.concat(parts, ignore_index=True)


def test_bound_is_half_a_fine_bin():
    assert BOUND == pytest.approx(0.0005)


def test_quartiles_within_bound_on_adversarial_distributions(store, contexts):
    store.load(frame(), name="adv", kind="evals")
    make = contexts(store, "adv")
    ctx = make()
    fast = evals.quantiles(ctx).set_index("metric_name")
    assert ctx.paths[-1]["path"] == "summary"
    raw = evals.quantiles(make(), exact=True).set_index("metric_name")
    assert sorted(fast.index) == sorted(raw.index) == sorted(adversarial(np.random.default_rng(0)))
    for col in ("count", "min", "max"):
        assert fast[col].to_dict() == raw.loc[fast.index, col].to_dict(), col
    worst = 0.0
    for col in ("q25", "median", "q75"):
        err = (fast[col] - raw.loc[fast.index, col]).abs()
        worst = max(worst, float(err.max()))
        assert (err <= BOUND + 1e-12).all(), (col, err[err > BOUND].to_dict())
    assert worst > 0  # the bins do lose precision; the bound is what holds


def test_scores_outside_zero_one_fall_back_to_the_raw_table(store, contexts):
    df = frame()
    df.loc[df.metric_name == "heavy_tail", "metric_score"] *= 50  # latency-like, unbounded
    store.load(df, name="wide_range", kind="evals")
    make = contexts(store, "wide_range")
    ctx = make()
    got = evals.quantiles(ctx, metric=["heavy_tail", "spike"])
    assert ctx.paths[-1]["path"] == "raw" and "[0, 1]" in ctx.paths[-1]["reason"]
    assert got.equals(evals.quantiles(make(), metric=["heavy_tail", "spike"], exact=True))
    # a request that leaves the unbounded metric out is answered from the summaries
    ctx = make()
    evals.quantiles(ctx, metric="spike")
    assert ctx.paths[-1]["path"] == "summary"


def test_fine_bin_quantiles_follow_quantile_cont_on_exact_bins():
    # scores at bin centres are recovered exactly, so the interpolation itself is checked
    scores = (np.array([3, 3, 10, 500, 998]) + 0.5) / 1000
    groups = pd.DataFrame({"g": ["a", "empty"], "count": [5, 0], "min": [scores.min(), None],
                           "max": [scores.max(), None]})
    bins = pd.DataFrame({"g": "a", "_fbin": [3, 10, 500, 998], "n": [2, 1, 1, 1]})
    qs = {f"q{q}": q for q in (0, 0.1, 0.25, 0.5, 0.75, 0.9, 1)}
    got = quantiles(groups, bins, ["g"], qs)
    for name, q in qs.items():
        assert got[name][0] == pytest.approx(float(np.quantile(scores, q)), abs=1e-12)
        assert np.isnan(got[name][1])
