"""Incremental sync of monitoring data extends the per-day score bins with the new rows, and
the monitor's trends keep coming from them within their bound (a real PostgreSQL source);
the per-day latency sketch waits for the next load, and the latency answers say so."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from axis_jupyter import sync
from axis_jupyter.analytics import alerts, monitoring
from axis_jupyter.summaries.daily import DAY_BOUND

pytestmark = pytest.mark.postgres


@pytest.fixture
def source(pg_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    schema = "m_" + uuid.uuid4().hex[:10]
    conn = psycopg.connect(pg_uri, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"""
        CREATE TABLE {schema}.scores AS
        SELECT i AS id, 'rec_' || (i / 3) AS dataset_id,
               (ARRAY['relevance','coherence','tone'])[1 + i % 3] AS metric_name,
               CASE WHEN i % 5 = 0 THEN 0.7 ELSE ((i * 37) % 101 / 100.0) END::float8 AS metric_score,
               (ARRAY['Atlas','Nova'])[1 + (i / 3) % 2] AS source_name,
               (ARRAY['prod','staging'])[1 + (i / 21) % 2] AS environment,
               (50 + (i / 3) % 400)::float8 AS latency,
               timestamptz '2026-01-01' + (i / 3) * interval '7 minutes' AS "timestamp",
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(0, 2999) i""")
    yield pg_uri, schema, conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


def trends(store, exact, filters=None, granularity="day"):
    def fn(ctx):
        return monitoring.trends(ctx, granularity=granularity, filters=filters, exact=exact), ctx.paths
    return store.view_read("mon", fn)


def test_incremental_sync_extends_the_day_bins(store, source):
    uri, schema, conn = source
    sync.add_source(store, "mon", kind="monitoring", url=uri, dataset_query=f"SELECT * FROM {schema}.scores",
                    incremental_column="updated_at")
    sync.sync(store, "mon")
    before = store.info("mon")["summary"]
    assert {"day_bins", "lat_days"} <= set(before["tables"])
    conn.execute(f"""
        INSERT INTO {schema}.scores
        SELECT i, 'rec_' || (i / 3), 'relevance', 0.25, 'Nova', 'prod', 9000.0,
               timestamptz '2026-01-20' + (i / 3) * interval '1 minute', timestamptz '2026-03-01' + i * interval '1 minute'
        FROM generate_series(3000, 3299) i""")
    row = sync.sync(store, "mon").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 300
    after = store.info("mon")["summary"]
    assert after["tables"]["day_bins"] == before["tables"]["day_bins"]  # extended in place
    assert "lat_days" not in after["tables"] and after["lat_day_keys"] is None
    for filters in (None, {"environment": "prod"}, {"source_name": "Nova", "time_range": ["2026-01-20", "2026-01-21"]}):
        (fast, paths), (raw, _) = trends(store, False, filters), trends(store, True, filters)
        assert paths[-1]["path"] == "summary"
        assert len(raw) > 0
        assert fast["count"].tolist() == raw["count"].tolist()
        assert fast["avg"].tolist() == pytest.approx(raw["avg"].tolist(), rel=1e-9)
        assert (abs(fast["p95"] - raw["p95"]) <= DAY_BOUND + 1e-12).all()
    # the new day is there: 300 relevance scores of 0.25 on 2026-01-20, exact in its bin
    new_day = fast[fast["bucket"].astype(str).str.startswith("2026-01-20") & (fast["metric_name"] == "relevance")]
    assert new_day["count"].tolist() == [300] and new_day["p50"].tolist() == [0.25]
    # the hour tables took them too (from their first hour on): hourly trends over their hours
    assert after["hours_from"] == before["hours_from"] and after["tables"]["hour_bins"] == before["tables"]["hour_bins"]
    hours = {"time_range": [after["hours_from"], "2026-01-21"]}
    (fast, paths), (raw, _) = trends(store, False, hours, "hour"), trends(store, True, hours, "hour")
    assert paths[-1]["path"] == "summary", paths[-1]
    assert fast["count"].tolist() == raw["count"].tolist()
    assert (abs(fast["p95"] - raw["p95"]) <= DAY_BOUND + 1e-12).all()
    new_hours = fast[fast["bucket"].astype(str).str.startswith("2026-01-20") & (fast["metric_name"] == "relevance")]
    # 100 records a minute apart from 16:40 (three rows each): 20, 60 and 20 in hours 16-18
    assert new_hours["count"].tolist() == [60, 180, 60]

    def records(ctx):
        return alerts.record_series(ctx, "day"), ctx.paths
    _, paths = store.view_read("mon", records)
    assert paths[-1]["path"] == "raw" and "latency" in paths[-1]["reason"]
