"""The record-latency index of long monitoring datasets: built at load, used by latency
analytics when their filters allow, and giving exactly the de-duplicating path's answers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.analytics import monitoring as mon


def _without_index(store, name):
    """The dataset's context with the index removed: latency de-duplicates the long table."""
    def fn(cur):
        ctx = store.context(cur, name)
        ctx.tables.pop("record_latency", None)
        return ctx
    return fn


def _both(store, name, analytic, **kw):
    with_index = store.read(lambda cur: analytic(store.context(cur, name), **kw))
    without = store.read(lambda cur: analytic(_without_index(store, name)(cur), **kw))
    return with_index, without


def test_index_built_and_used(mstore, mon_frame):
    info = mstore.info("mon")
    assert info["latency_table"] in info["tables"] and info["latency_unique"] is True
    n_records = mon_frame.dataset_id.nunique()
    assert mstore.sql(f'SELECT count(*) AS n FROM "{info["latency_table"]}"')["n"][0] == n_records
    assert mstore.read(lambda cur: "record_latency" in mstore.context(cur, "mon").tables)
    rec = mon_frame.drop_duplicates("dataset_id")
    env = sorted(rec.environment.unique())[0]
    for kw in ({}, {"filters": {"environment": env}}, {"by": "source_name"}):
        got, ref = _both(mstore, "mon", mon.latency_histogram, bins=17, **kw)
        pd.testing.assert_frame_equal(got, ref)
    got, ref = _both(mstore, "mon", mon.latency, by="environment")
    pd.testing.assert_frame_equal(got, ref)
    sub = rec[rec.environment == env].latency.to_numpy()
    # exact=True: the raw rows (through the index), not the latency summaries (tests/summaries)
    got = mstore.read(lambda cur: mon.latency(mstore.context(cur, "mon"), filters={"environment": env}, exact=True))
    assert int(got["count"][0]) == len(sub)
    assert float(got["p95"][0]) == pytest.approx(np.percentile(sub, 95), rel=1e-9)


def test_metric_filter_falls_back_to_the_long_table(mstore, mon_frame):
    """A metric filter is not a column of the index: each record having that metric counts."""
    got = mstore.read(lambda cur: mon.latency(mstore.context(cur, "mon"), filters={"metric_name": "intent"}))
    lat = mon_frame[mon_frame.metric_name == "intent"].drop_duplicates("dataset_id").latency.to_numpy()
    assert int(got["count"][0]) == len(lat)
    assert float(got["p50"][0]) == pytest.approx(np.percentile(lat, 50), rel=1e-9)


def test_ids_with_conflicting_dimensions_are_not_indexed(tmp_path):
    """A record whose rows disagree on a dimension: the index would count it twice, so it is
    not used and the answers are the long table's."""
    df = pd.DataFrame({
        "dataset_id": ["a", "a", "b", "b", "c"],
        "timestamp": pd.to_datetime(["2026-01-01"] * 5),
        "environment": ["prod", "staging", "prod", "prod", "prod"],
        "latency": [100.0, 100.0, 250.0, 250.0, 400.0],
        "metric_name": ["m1", "m2", "m1", "m2", "m1"],
        "metric_score": [0.5, 0.6, 0.7, 0.8, 0.9],
    })
    store = axis_jupyter.LocalStore(tmp_path / "s.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = store.load(df, name="m", kind="monitoring")
    info = store.info("m")
    assert info["latency_unique"] is False
    assert store.read(lambda cur: "record_latency" not in store.context(cur, "m").tables)
    assert int(ds.latency()["count"][0]) == 3
    by_env = ds.latency(by="environment").set_index("environment")["count"].astype(int).to_dict()
    assert by_env == {"prod": 3, "staging": 1}
    store.close()


def test_reload_replaces_the_index(tmp_path, mon_frame):
    store = axis_jupyter.LocalStore(tmp_path / "s.duckdb")
    small = mon_frame[mon_frame.dataset_id.isin(mon_frame.dataset_id.unique()[:50])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(mon_frame, name="m", kind="monitoring")
        first = store.info("m")["latency_table"]
        ds = store.load(small, name="m", kind="monitoring")
    info = store.info("m")
    assert info["latency_table"] != first
    assert first not in set(store.sql("SELECT table_name FROM duckdb_tables()")["table_name"])
    assert int(ds.latency()["count"][0]) == 50
    store.close()
