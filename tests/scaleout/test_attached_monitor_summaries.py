"""The monitor's trends, latency histogram and alerts answered from the summaries of the
DuckDB copy agree with the raw answers computed on the same rows in an attached PostgreSQL
table (which has no summaries): counts and alerts equal, percentiles and histogram counts
within their stated bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.summaries.daily import DAY_BOUND
from axis_jupyter.summaries.latency import GAMMA

pytestmark = pytest.mark.postgres


def answered(store, name, analytic, **kw):
    """The analytic's frame and the paths it took (in one read of ``name``)."""
    from axis_jupyter.analytics import registry

    a = registry.get(analytic, "monitoring")
    return store.view_read(name, lambda ctx: (a.fn(ctx, **kw), list(ctx.paths)))


@pytest.mark.parametrize("filters", [None, {"environment": "prod"}])
def test_trends_from_summaries_within_bound_of_the_attached_table(xstore, attached, filters):
    _, mo = attached("postgres")
    fast, paths = answered(xstore, "mo_duck", "trends", granularity="day", filters=filters)
    raw, raw_paths = answered(xstore, mo, "trends", granularity="day", filters=filters)
    assert paths[-1]["path"] == "summary" and raw_paths[-1]["path"] == "raw"
    assert len(raw) > 0
    assert [pd.Timestamp(b).tz_localize(None) if pd.Timestamp(b).tzinfo else pd.Timestamp(b) for b in fast["bucket"]] \
        == [pd.Timestamp(b).tz_localize(None) if pd.Timestamp(b).tzinfo else pd.Timestamp(b) for b in raw["bucket"]]
    assert fast["metric_name"].tolist() == raw["metric_name"].tolist()
    assert fast["count"].tolist() == raw["count"].astype(int).tolist()
    assert fast["avg"].tolist() == pytest.approx(raw["avg"].astype(float).tolist(), rel=1e-9)
    for q in ("p50", "p95", "p99"):
        assert np.abs(fast[q].to_numpy(float) - raw[q].to_numpy(float)).max() <= DAY_BOUND + 1e-12


def test_histogram_and_alerts_from_summaries_match_the_attached_table(xstore, attached, raw_frames):
    _, mo = attached("postgres")
    fast, paths = answered(xstore, "mo_duck", "latency_histogram", bins=20)
    raw, _ = answered(xstore, mo, "latency_histogram", bins=20)
    assert paths[-1]["path"] == "summary"
    assert fast["bin_start"].tolist() == pytest.approx(raw["bin_start"].astype(float).tolist(), rel=1e-12)
    assert fast["count"].sum() == raw["count"].sum() > 0
    # a count may be off by the records within a log-spaced bin's width of its edges
    lat = raw_frames["monitoring"].drop_duplicates("dataset_id")["latency"].dropna().to_numpy(float)
    edges = np.r_[raw["bin_start"].to_numpy(float), raw["bin_end"].to_numpy(float)[-1]]
    near = lambda e: (lat[None, :] >= e[:, None] / GAMMA) & (lat[None, :] <= e[:, None] * GAMMA)  # noqa: E731
    bound = (near(edges[:-1]) | near(edges[1:])).sum(axis=1)
    assert (np.abs(fast["count"].to_numpy() - raw["count"].to_numpy()) <= bound).all()

    # thresholds that fire on the demo data: scores below good, pass rates, slow records
    config = {"thresholds": {"default": {"good": 0.9, "pass": 0.7}}, "threshold_alerts": {"latency_p95_max": 500}}
    kw = dict(granularity="day", scan=True, classification=False, config=config)
    got, paths = answered(xstore, "mo_duck", "alerts", **kw)
    exp, _ = answered(xstore, mo, "alerts", **kw)
    used = {p["what"]: p["path"] for p in paths}
    assert used["score_series"] == "summary" and used["record_series"] == "summary"

    def rows(df):
        return [(r.source_name, r.metric_name, r.detector, r.severity, str(pd.Timestamp(r.bucket).date()), int(r.count))
                for r in df.itertuples()]
    assert {"threshold_score", "threshold_latency"} <= set(exp["detector"])
    assert rows(got) == rows(exp)
