"""Latency percentiles from the log-spaced bins stay within the stated relative bound of the
raw quantile_cont, on distributions chosen to break binning: a spike, heavy tails over six
orders of magnitude, ties on bin edges, zeros, clusters inside one bin, groups of one and
two records; counts, min and max equal the raw ones and means agree to rounding (DuckDB and
PostgreSQL)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import monitoring
from axis_jupyter.summaries.latency import ALPHA, BOUND, GAMMA, estimate


def adversarial(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = 401
    return {
        "spike": np.r_[np.full(n - 4, 250.0), [5.0, 9000.0, 9000.0, 12.5]],
        "heavy_tail": np.round((rng.pareto(1.1, n) + 1) * 20, 3),  # 20 ms .. minutes
        "orders": 10.0 ** rng.uniform(-3, 6, n),  # a microsecond to 17 minutes
        "edges": GAMMA ** rng.integers(200, 600, n).astype(float),  # ties on bin edges
        "zeros": np.r_[np.zeros(150), rng.uniform(1, 3, n - 150)],  # the median interpolates 0
        "cluster": 333.3 + rng.normal(0, 1e-4, n),  # all inside one bin
        "single": np.array([42.0]),
        "pair": np.array([0.5, 5000.0]),
    }


def frame(seed: int = 5) -> pd.DataFrame:
    """One environment per distribution; each record has two metric rows (latency counted
    once per record)."""
    rng = np.random.default_rng(seed)
    parts = []
    for env, lat in adversarial(rng).items():
        ids = [f"{env}_{i}" for i in range(len(lat))]
        for metric in ("relevance", "coherence"):
            parts.append(pd.DataFrame({
                "dataset_id": ids, "trace_id": ids, "environment": env,
                "source_name": np.where(np.arange(len(lat)) % 2 == 0, "web", "api"), "metric_name": metric,
                "metric_score": rng.random(len(lat)), "latency": lat,
                "timestamp": pd.Timestamp("2026-02-01") + pd.to_timedelta(np.arange(len(lat)), "min")}))
    return pd.concat(parts, ignore_index=True)


def test_the_estimate_of_a_bin_is_within_alpha_of_every_value_in_it():
    x = np.r_[10.0 ** np.linspace(-4, 7, 5001), GAMMA ** np.arange(-300, 800, dtype=float)]
    lbin = np.ceil(np.log(x) / math.log(GAMMA)).astype("int64")
    assert np.all(np.abs(estimate(lbin) - x) <= ALPHA * x * (1 + 1e-9))
    assert BOUND == ALPHA == 0.01


def assert_within_bound(fast: pd.DataFrame, raw: pd.DataFrame) -> None:
    assert len(fast) == len(raw)
    assert fast["count"].tolist() == raw["count"].tolist()
    assert fast["min"].tolist() == raw["min"].tolist() and fast["max"].tolist() == raw["max"].tolist()
    assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)
    for col in ("p50", "p95", "p99"):
        for a, b in zip(fast[col], raw[col]):
            assert abs(a - b) <= BOUND * abs(b) * (1 + 1e-9) + 1e-12, (col, a, b)


def test_percentiles_within_bound_on_adversarial_distributions(store, contexts):
    store.load(frame(), name="lat", kind="monitoring")
    assert "environment" in store.info("lat")["summary"]["latency_keys"]
    make = contexts(store, "lat")
    ctx = make()
    fast = monitoring.latency(ctx, by="environment")
    assert ctx.paths[-1]["path"] == "summary"
    raw = monitoring.latency(make(), by="environment", exact=True)
    assert fast["environment"].tolist() == raw["environment"].tolist() == sorted(adversarial(np.random.default_rng(0)))
    assert raw["count"].tolist() == [len(v) for _, v in sorted(adversarial(np.random.default_rng(0)).items())]
    assert_within_bound(fast, raw)
    # filters on keys and the whole table, one row each
    for filters in (None, {"environment": "orders"}, {"environment": ["spike", "pair"], "source_name": "web"},
                    {"environment": "nothing"}):
        ctx = make()
        fast = monitoring.latency(ctx, filters=filters)
        assert ctx.paths[-1]["path"] == "summary", filters
        raw = monitoring.latency(make(), filters=filters, exact=True)
        if filters == {"environment": "nothing"}:
            assert fast["count"].tolist() == raw["count"].tolist() == [0]
            assert fast["p50"].isna().all() and raw["p50"].isna().all()
        else:
            assert_within_bound(fast, raw)


def test_latency_requests_the_sketch_cannot_answer_read_the_raw_rows(store, contexts):
    df = frame()
    df.loc[df["environment"] == "single", "latency"] = -3.0  # a negative latency
    store.load(df, name="neg", kind="monitoring")
    assert store.info("neg")["summary"]["latency_keys"]
    make = contexts(store, "neg")
    for kw, why in [({}, "negative"), ({"filters": {"metric_name": "relevance"}}, "metric_name"),
                    ({"filters": {"time_range": ["2026-02-01 06:30", "2026-02-02"]}}, "day boundaries"),
                    ({"by": "trace_id"}, "trace_id")]:
        ctx = make()
        got = monitoring.latency(ctx, **kw)
        assert ctx.paths[-1]["path"] == "raw" and why in ctx.paths[-1]["reason"], (kw, ctx.paths[-1])
        pd.testing.assert_frame_equal(got, monitoring.latency(make(), exact=True, **kw))
    ctx = make()
    ok = monitoring.latency(ctx, filters={"environment": "pair"})
    assert ctx.paths[-1]["path"] == "summary" and ok["count"].tolist() == [2]
