"""Keys a metric implies (summaries/implied.py): the days and fine-bins tables leave out
metric_type when every metric has one, the planner puts it back from metric_name, and the
answers stay the raw path's: on load, on a dataset where a metric has two types, and through
incremental syncs from a real PostgreSQL that add a metric and then give a metric a second
type."""

from __future__ import annotations

import uuid

import pandas as pd
import psycopg
import pytest

from axis_jupyter import sync
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


@pytest.fixture
def source(pg_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    schema = "s_" + uuid.uuid4().hex[:10]
    conn = psycopg.connect(pg_uri, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"""
        CREATE TABLE {schema}.cases AS
        SELECT 'case_' || i AS dataset_id, 'question ' || i AS query,
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 30) i""")
    conn.execute(f"""
        CREATE TABLE {schema}.scores AS
        SELECT i AS id, 'case_' || (1 + i % 30) AS dataset_id,
               (ARRAY['faithfulness','relevance','tone'])[1 + i % 3] AS metric_name,
               (ARRAY['metric','metric','style'])[1 + i % 3] AS metric_type,
               ((i * 37) % 101 / 100.0)::float8 AS metric_score,
               (ARRAY['baseline','candidate'])[1 + (i / 3) % 2] AS evaluation_name,
               timestamptz '2026-01-01' + i * interval '10 minutes' AS "timestamp",
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 300) i""")
    yield pg_uri, schema, conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


@pytest.mark.postgres
def test_incremental_sync_extends_the_lookup_and_drops_it_on_a_second_type(store, source):
    uri, schema, conn = source
    sync.add_source(store, "ev", kind="evals", url=uri, dataset_query=f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.scores", incremental_column="updated_at")
    sync.sync(store, "ev")
    meta = store.info("ev")["summary"]
    assert meta["implied"]["metric_type"] == {"faithfulness": "metric", "relevance": "metric", "tone": "style"}
    days = ["2026-01-01T00:00:00", "2026-01-04T00:00:00"]

    # a new metric with a new type: the lookup takes it, the tables stay
    conn.execute(f"""
        INSERT INTO {schema}.scores
        SELECT i, 'case_' || (1 + i % 30), 'brevity', 'style', 0.25, 'baseline',
               timestamptz '2026-01-02' + i * interval '1 minute', timestamptz '2026-02-01' + i * interval '1 minute'
        FROM generate_series(301, 330) i""")
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental"
    meta = store.info("ev")["summary"]
    assert meta["implied"]["metric_type"]["brevity"] == "style"
    assert {"days", "bins"} <= set(meta["tables"])
    got = _same_scorecard(store, "ev", {"metric_type": "style", "time_range": days})
    assert set(got["name"]) >= {"brevity", "tone"}

    # tone takes a second type: the lookup no longer holds, so the two tables go and the
    # raw rows answer a time range (the stats, keyed by metric_type, still answer the rest)
    conn.execute(f"""
        INSERT INTO {schema}.scores
        SELECT i, 'case_' || (1 + i % 30), 'tone', 'metric', 0.75, 'candidate',
               timestamptz '2026-01-02' + i * interval '1 minute', timestamptz '2026-03-01' + i * interval '1 minute'
        FROM generate_series(331, 360) i""")
    sync.sync(store, "ev")
    meta = store.info("ev")["summary"]
    assert meta["implied"] == {}
    assert not {"days", "bins"} & set(meta["tables"])
    tables = set(store.sql("SELECT table_name FROM duckdb_tables()")["table_name"])
    assert not any(t.endswith(("_sum_days", "_sum_bins")) for t in tables)
    _same_scorecard(store, "ev", {"metric_type": "metric"})
    timed = {"metric_type": "metric", "time_range": days}
    fast, paths = store.view_read("ev", lambda ctx: (scorecard.scorecard(ctx, timed), ctx.paths))
    raw = store.view_read("ev", lambda ctx: scorecard.scorecard(ctx, timed, exact=True))
    assert paths[0]["path"] == "raw"
    assert fast["count"].tolist() == raw["count"].tolist()
    assert "tone" in set(fast["name"])
