"""Incremental sync of monitoring data extends the per-day score bins with the new rows, and
the monitor's trends keep coming from them within their bound (a real PostgreSQL source);
the per-day latency sketch waits for the next load, and the latency answers say so."""

from __future__ import annotations

import uuid

import pandas as pd
import psycopg
import pytest

from axis_jupyter import sync
from axis_jupyter.analytics import alerts, monitoring
from axis_jupyter.payloads import params
from axis_jupyter.summaries.daily import DAY_BOUND
from test_monitor_labels import same

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


def class_series(store, exact, granularity="day", filters=None):
    def fn(ctx):
        return alerts.class_series(ctx, granularity, filters, exact=exact), ctx.paths
    return store.view_read("lab", fn)


def test_incremental_sync_extends_the_label_counts(store, source):
    uri, schema, conn = source
    # the scores plus an `intent` CLASSIFICATION row per record, labels by day and record
    conn.execute(f"""
        CREATE TABLE {schema}.labelled AS
        SELECT id, dataset_id, metric_name, metric_score, 'SCORE' AS metric_category, NULL::text AS explanation,
               source_name, environment, latency, "timestamp", updated_at FROM {schema}.scores
        UNION ALL
        SELECT 10000 + id, dataset_id, 'intent', NULL::float8, 'CLASSIFICATION',
               CASE WHEN id % 11 = 0 THEN NULL WHEN id % 4 = 0 THEN 'billing'
                    WHEN extract(day FROM "timestamp")::int % 2 = 0 THEN 'other' ELSE 'refund' END,
               source_name, environment, latency, "timestamp", updated_at
        FROM {schema}.scores WHERE metric_name = 'relevance'""")
    sync.add_source(store, "lab", kind="monitoring", url=uri, dataset_query=f"SELECT * FROM {schema}.labelled",
                    incremental_column="updated_at")
    sync.sync(store, "lab")
    before = store.info("lab")["summary"]
    assert {"class_days", "class_hours"} <= set(before["tables"]), before["tables"]
    # the increment: a label never seen (cancel) on a new day in new hours (150 records a
    # minute apart from 16:00 on 2026-01-20: hours 16, 17 and 18), and ten late records in
    # the newest hour already counted (2026-01-05 20:00)
    conn.execute(f"""
        INSERT INTO {schema}.labelled
        SELECT 20000 + i, 'new_' || i, 'intent', NULL::float8, 'CLASSIFICATION',
               (ARRAY['cancel', 'refund', 'billing', NULL])[1 + i % 4], (ARRAY['Atlas', 'Nova'])[1 + (i / 3) % 2],
               (ARRAY['prod', 'staging'])[1 + (i / 5) % 2], 100.0,
               timestamptz '2026-01-20 16:00' + i * interval '1 minute', timestamptz '2026-03-01' + i * interval '1 minute'
        FROM generate_series(0, 149) i
        UNION ALL
        SELECT 30000 + i, 'late_' || i, 'intent', NULL::float8, 'CLASSIFICATION', 'cancel', 'Nova', 'prod', 100.0,
               timestamptz '2026-01-05 20:10' + i * interval '1 minute', timestamptz '2026-03-02' + i * interval '1 minute'
        FROM generate_series(0, 9) i""")
    row = sync.sync(store, "lab").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 160
    after = store.info("lab")["summary"]
    for role in ("class_days", "class_hours"):  # extended in place, same keys
        assert after["tables"][role] == before["tables"][role]
        assert after[f"{role}_keys"] == before[f"{role}_keys"]
    assert after["hours_from"] == before["hours_from"]
    newest_day = params.time_scope(store.info("lab"), None, "24h")["time_range"]
    hours = [after["hours_from"], "2026-01-21"]
    cases = [("day", None), ("day", {"environment": "prod"}), ("week", None),
             ("day", {"source_name": "Nova", "time_range": ["2026-01-05", "2026-01-21"]}),
             ("hour", {"time_range": hours}), ("hour", {"time_range": hours, "environment": "staging"}),
             ("hour", {"time_range": newest_day})]
    for granularity, filters in cases:
        (fast, paths), (raw, _) = class_series(store, False, granularity, filters), \
            class_series(store, True, granularity, filters)
        used = [p for p in paths if p["what"] == "class_series"]
        assert used[-1]["path"] == "summary", (granularity, filters, paths)
        assert len(raw) > 0 and "cancel" in set(raw["category"])
        same(fast, raw)
    # the new label on the new day and in the hour already counted, exactly
    fast, _ = class_series(store, False, "hour", {"time_range": hours, "source_name": "Nova"})
    cancel = fast[(fast["category"] == "cancel") & (fast["count"] > 0)]
    assert [(str(pd.Timestamp(b))[:16], int(n)) for b, n in zip(cancel["bucket"], cancel["count"])] == \
        [("2026-01-05 20:00", 10), ("2026-01-20 16:00", 5), ("2026-01-20 17:00", 5), ("2026-01-20 18:00", 3)]
