"""Keys a metric implies (summaries/implied.py): the days and fine-bins tables leave out
metric_type when every metric has one, the planner puts it back from metric_name, and the
answers stay the raw path's: on load, and on a dataset where a metric has two types.
(Incremental syncs that add a metric and give one a second type:
``test_incremental.py::test_an_increment_extends_the_implied_lookup_and_drops_it_on_a_second_type``.)"""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter.analytics import evals, scorecard
from summary_data import DAY0, METRICS, eval_frame

WEEK = [DAY0.isoformat(), (DAY0 + pd.Timedelta(days=3)).isoformat()]


def _columns(store, table: str) -> list[str]:
    return store.sql(f'DESCRIBE "{table}"')["column_name"].tolist()


def _same_scorecard(store, name, filters):
    def fn(exact):
        return store.view_read(name, lambda ctx: (scorecard.scorecard(ctx, filters, exact=exact), ctx.paths))
    (fast, paths), (raw, _) = fn(False), fn(True)
    assert paths[0]["path"] == "summary", (filters, paths)
    assert fast[["name", "count", "min", "max", "pass_rate", "h0", "h4"]].values.tolist() == \
        raw[["name", "count", "min", "max", "pass_rate", "h0", "h4"]].values.tolist()
    assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)
    return fast


def test_days_and_fine_bins_leave_out_the_type_each_metric_implies(sstore):
    meta = sstore.info("ev")["summary"]
    assert meta["implied"] == {"metric_type": {m: t for m, (_, _, t) in METRICS.items()}}
    assert "metric_type" in meta["day_keys"] and "metric_type" in meta["bin_keys"]
    for role in ("days", "bins"):
        assert "metric_type" not in _columns(sstore, meta["tables"][role]), role
    assert "metric_type" in _columns(sstore, meta["tables"]["stats"])
    # a filter on the left-out key, with a time range (the days table) and without
    for filters in ({"metric_type": "metric", "time_range": WEEK},
                    {"metric_type": ["component", "category"], "environment": "prod", "time_range": WEEK},
                    {"metric_type": "metric"}):
        got = _same_scorecard(sstore, "ev", filters)
        assert len(got) > 0
    # grouped by it, from the fine bins
    fast = sstore.view_read("ev", lambda ctx: (evals.quantiles(ctx, by="metric_type"), ctx.paths[-1]["path"]))
    raw = sstore.view_read("ev", lambda ctx: evals.quantiles(ctx, by="metric_type", exact=True))
    assert fast[1] == "summary"
    assert fast[0][["metric_name", "metric_type", "count", "min", "max"]].values.tolist() == \
        raw[["metric_name", "metric_type", "count", "min", "max"]].values.tolist()
    assert sorted(set(fast[0]["metric_type"])) == ["category", "component", "metric"]


def test_a_metric_with_two_types_keeps_the_key_in_every_table(store):
    df = eval_frame()
    df.loc[(df["metric_name"] == "tone") & (df["evaluation_name"] == "tuned"), "metric_type"] = "component"
    store.load(df, name="two", kind="evals")
    meta = store.info("two")["summary"]
    assert meta["implied"] == {}
    assert "metric_type" in _columns(store, meta["tables"]["days"])
    for filters in ({"metric_type": "component", "time_range": WEEK}, {"metric_type": "metric"}):
        _same_scorecard(store, "two", filters)
