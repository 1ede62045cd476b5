"""Incremental sync extends the summaries with the new rows only, and they keep answering
exactly (a real PostgreSQL source)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from axis_jupyter import sync
from axis_jupyter.analytics import scorecard

pytestmark = pytest.mark.postgres


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
               ((i * 37) % 101 / 100.0)::float8 AS metric_score,
               (ARRAY['baseline','candidate'])[1 + (i / 3) % 2] AS evaluation_name,
               (ARRAY['prod','staging'])[1 + (i / 7) % 2] AS environment,
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 300) i""")
    yield pg_uri, schema, conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


def _scorecard(store, exact, filters=None):
    def fn(ctx):
        return scorecard.scorecard(ctx, filters, exact=exact), ctx.paths
    return store.view_read("ev", fn)


def test_incremental_sync_appends_to_the_summaries(store, source):
    uri, schema, conn = source
    sync.add_source(store, "ev", kind="evals", url=uri,
                    dataset_query=f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.scores", incremental_column="updated_at")
    sync.sync(store, "ev")
    before = store.info("ev")["summary"]
    assert before["source_rows"] == 300
    stats_rows = store.sql(f'SELECT count(*) AS n FROM "{before["tables"]["stats"]}"')["n"][0]
    conn.execute(f"""
        INSERT INTO {schema}.scores
        SELECT i, 'case_' || (1 + i % 30), 'faithfulness', 1.0, 'baseline', 'prod',
               timestamptz '2026-02-01' + i * interval '1 minute'
        FROM generate_series(301, 340) i""")
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 40
    after = store.info("ev")["summary"]
    # extended in place, not rebuilt: the same tables, the case masks among them
    assert "case_masks" in before["tables"]
    assert after["tables"] == before["tables"]
    assert after["source_rows"] == store.info("ev")["rows"] == 340
    grown = store.sql(f'SELECT count(*) AS n, sum("rows") AS r FROM "{after["tables"]["stats"]}"')
    assert grown["r"][0] == 340 and grown["n"][0] > stats_rows
    for filters in (None, {"environment": "prod"}, {"evaluation_name": ["baseline"]}):
        (fast, paths), (raw, _) = _scorecard(store, False, filters), _scorecard(store, True, filters)
        assert paths[0]["path"] == "summary"
        assert fast["count"].tolist() == raw["count"].tolist()
        assert fast["pass_rate"].tolist() == raw["pass_rate"].tolist()
        assert fast["mean"].tolist() == pytest.approx(raw["mean"].tolist(), rel=1e-9)
    faith = fast.set_index("name").loc["faithfulness"]
    assert faith["max"] == 1.0
