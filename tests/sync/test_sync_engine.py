"""Full, incremental, failing, concurrent and partitioned syncs against a real PostgreSQL."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import yaml

from axis_jupyter import sync
from axis_jupyter.errors import ConfigError, ConflictError, NotFoundError
from axis_jupyter.sync import readers as rd
from sync_helpers import add_rows

pytestmark = pytest.mark.postgres


def _add(store, pg, name="ev", **kw):
    uri, schema, _ = pg
    args = dict(kind="evals", url=uri,
                dataset_query=f"SELECT * FROM {schema}.cases",
                results_query=f"SELECT * FROM {schema}.scores",
                incremental_column="updated_at")
    args.update(kw)
    return sync.add_source(store, name, **args)


def test_full_sync_split(store, pg, axis_config, tier):
    _add(store, pg)
    events = []
    df = sync.sync(store, "ev", progress=events.append)
    row = df.iloc[0]
    assert row["state"] == "ready" and row["sync_type"] == "full"
    assert row["rows"] == 200 and row["tier"] == tier
    assert row["watermark"].startswith("2026-01-01 03:20:00")  # max updated_at of the results
    phases = [e["phase"] for e in events]
    assert phases[0] == "connecting" and "reading" in phases and phases[-1] == "done"
    assert any(e.get("tables") for e in events if e["phase"] == "reading")
    info = store.info("ev")
    cols = [c["name"] for c in info["columns"]]
    # results columns, dataset columns joined in; the shared column from the dataset side
    assert {"metric_name", "metric_score", "query", "actual_output", "dataset_updated_at"} <= set(cols)
    summary = store.dataset("ev").summary()
    assert set(summary["metric_name"]) == {"faithfulness", "relevance"}
    assert summary["count"].sum() == 200
    # NULL stays NULL, '' stays '' and text with quotes and newlines survives the COPY path
    got = store.sql("SELECT count(*) FILTER (WHERE explanation IS NULL) AS n_null, "
                    "count(*) FILTER (WHERE explanation = '') AS n_empty, "
                    "max(actual_output) AS a FROM ev")
    assert got["n_null"][0] == 28 and got["n_empty"][0] == 35
    assert '"quotes"' in got["a"][0] and "\n" in got["a"][0]
    st = sync.status(store)
    assert st.set_index("source").loc["ev", "state"] == "ready"
    # each step's wall and CPU seconds are kept (the benchmark's per-stage report reads them)
    meta = info["sync"]
    assert {"describe", "dataset", "results", "watermarks", "swap"} <= set(meta["stages"])
    assert set(meta["stages_cpu"]) == set(meta["stages"]) - {"results_source"}
    assert all(v >= 0 for v in meta["stages_cpu"].values()) and meta["stages_cpu"]["results"] > 0


def test_incremental_appends_only_new_rows(store, pg, axis_config, tier):
    uri, schema, conn = pg
    _add(store, pg)
    sync.sync(store, "ev")
    add_rows(conn, schema, 201, 30)
    df = sync.sync(store, "ev")
    row = df.iloc[0]
    assert row["sync_type"] == "incremental" and row["tier"] == tier
    assert row["rows"] == 230 and row["incremental_rows"] == 30
    assert store.sql("SELECT count(*) AS n FROM ev WHERE query = 'new question'")["n"][0] == 30
    assert store.sql("SELECT count(DISTINCT id) AS n FROM ev")["n"][0] == 230
    # nothing new: still incremental, nothing appended
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 0 and row["rows"] == 230
    # --full rebuilds
    row = sync.sync(store, "ev", full=True).iloc[0]
    assert row["sync_type"] == "full" and row["rows"] == 230


def test_watermark_reset_forces_full(store, pg, axis_config, tier):
    uri, schema, conn = pg
    _add(store, pg)
    sync.sync(store, "ev")
    msg = sync.reset_watermark(store, "ev")
    assert msg["success"] and "full" in msg["message"]
    assert sync.status(store, ["ev"]).iloc[0]["watermark"] is None
    add_rows(conn, schema, 201, 10)
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "full" and row["rows"] == 210
    assert row["watermark"] is not None


def test_failure_halfway_keeps_old_data(store, pg, axis_config, tier):
    uri, schema, conn = pg
    _add(store, pg)
    sync.sync(store, "ev")
    old_version = store.info("ev")["version"]
    # The same source now errors after ~150 rows have been streamed (division by zero).
    conn.execute(f"INSERT INTO {schema}.scores SELECT i, 'case_001', 'boom', 0.5, 'baseline', 'x', "
                 "now() FROM generate_series(1001, 3000) i")
    _add(store, pg, results_query=f"SELECT *, 1 / (CASE WHEN id > 2500 THEN 0 ELSE 1 END) AS one "
                                  f"FROM {schema}.scores ORDER BY id")
    with pytest.raises(sync.SyncError, match="division by zero"):
        sync.sync(store, "ev")
    st = sync.status(store, ["ev"]).iloc[0]
    assert st["state"] == "error" and "division by zero" in st["error"]
    assert st["watermark"] is None  # cleared: the next run is full
    # the previous data is intact and queryable
    assert store.info("ev")["version"] == old_version
    assert store.sql("SELECT count(*) AS n FROM ev")["n"][0] == 200
    assert store.dataset("ev").summary()["count"].sum() == 200
    tables = store.read(lambda c: [r[0] for r in c.execute("SELECT table_name FROM duckdb_tables()").fetchall()])
    assert set(t for t in tables if t.startswith("_axis_t_ev")) == set(store.info("ev")["tables"])


def _slow_source(store, pg, name="slow", per_row=0.002):
    uri, schema, _ = pg
    return sync.add_source(store, name, kind="evals", url=uri,
                           dataset_query=f"SELECT * FROM {schema}.cases",
                           results_query=f"SELECT s.*, pg_sleep({per_row}) IS NULL AS slept "
                                         f"FROM {schema}.scores s")


def test_server_killed_mid_read_keeps_old_data(store, pg, axis_config, pg_uri, tier):
    uri, schema, conn = pg
    _add(store, pg, name="slow")
    sync.sync(store, "slow")
    conn.execute(f"INSERT INTO {schema}.scores SELECT i, 'case_001', 'm', 0.5, 'baseline', 'x', now() "
                 "FROM generate_series(1001, 4000) i")
    _slow_source(store, pg)
    killer = psycopg.connect(pg_uri, autocommit=True)
    killed = []

    def kill():
        deadline = time.time() + 20
        while time.time() < deadline and not killed:
            # the read in flight: COPY (arrow and copy tiers) or FETCH (cursor tier)
            rows = killer.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                                  "AND (query LIKE 'COPY%%' OR query LIKE 'FETCH%%') "
                                  "AND state = 'active'", [rd.APP_NAME]).fetchall()
            if rows:
                time.sleep(0.3)  # let some rows stream first
                for (pid,) in killer.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                             [rd.APP_NAME]).fetchall():
                    killer.execute("SELECT pg_terminate_backend(%s)", [pid])
                    killed.append(pid)
            time.sleep(0.05)

    t = threading.Thread(target=kill)
    t.start()
    with pytest.raises(sync.SyncError):
        sync.sync(store, "slow")
    t.join()
    killer.close()
    assert killed
    assert sync.status(store, ["slow"]).iloc[0]["state"] == "error"
    assert store.sql("SELECT count(*) AS n FROM slow")["n"][0] == 200


def test_concurrent_reads_and_second_sync_refused(store, pg, axis_config, tier):
    uri, schema, conn = pg
    _add(store, pg, name="slow")
    sync.sync(store, "slow")
    conn.execute(f"INSERT INTO {schema}.scores SELECT i, 'case_002', 'relevance', 0.5, 'baseline', 'x', "
                 "now() FROM generate_series(1001, 2500) i")
    _slow_source(store, pg, per_row=0.002)
    started = threading.Event()
    out = {}

    def progress(ev):
        if ev["phase"] == "reading":
            started.set()

    def run():
        try:
            out["df"] = sync.sync(store, "slow", progress=progress)
        except Exception as exc:  # pragma: no cover - reported below
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(20)
    with pytest.raises(ConflictError, match="already running"):
        sync.sync(store, "slow")
    reads = states_seen = 0
    while t.is_alive():
        during = sync.is_running(store, "slow")
        state = sync.status(store, ["slow"]).iloc[0]["state"]
        if during and sync.is_running(store, "slow"):  # still running after the status call
            assert state == "syncing"
            states_seen += 1
        assert store.sql("SELECT count(*) AS n FROM slow")["n"][0] in (200, 1700)
        assert store.dataset("slow").summary()["count"].sum() in (200, 1700)
        reads += during  # this read started while the sync ran
        time.sleep(0.02)
    t.join()
    assert "error" not in out, out.get("error")
    assert reads >= 1 and states_seen >= 1  # the reads and the status check ran mid-sync
    assert out["df"].iloc[0]["rows"] == 1700 and out["df"].iloc[0]["tier"] == tier


def test_cancel_leaves_old_data(store, pg, axis_config, tier):
    uri, schema, conn = pg
    _add(store, pg, name="slow")
    sync.sync(store, "slow")
    conn.execute(f"INSERT INTO {schema}.scores SELECT i, 'case_002', 'relevance', 0.5, 'baseline', 'x', "
                 "now() FROM generate_series(1001, 5000) i")
    _slow_source(store, pg, per_row=0.001)
    ev = threading.Event()

    def progress(e):
        if e["phase"] == "reading" and any((t or {}).get("rows", 0) for t in (e.get("tables") or {}).values()):
            ev.set()

    threading.Timer(1.0, ev.set).start()
    threading.Thread(target=lambda: (ev.wait(10), sync.cancel(store, "slow"))).start()
    with pytest.raises(sync.SyncCancelled):
        sync.sync(store, "slow", progress=progress)
    assert store.sql("SELECT count(*) AS n FROM slow")["n"][0] == 200


@pytest.mark.parametrize("forced", ["arrow", "copy"])
def test_partitioned_parallel_reads(store, pg, axis_config, monkeypatch, forced):
    monkeypatch.setenv("AXIS_SYNC_TIER", forced)
    (axis_config / "duckdb.yaml").write_text(yaml.safe_dump({"duckdb": {"sync_workers": 3}}))
    _add(store, pg, partition_column="id")
    row = sync.sync(store, "ev").iloc[0]
    # the dataset query has no id column: one stream; the results: three ranges at once
    assert row["rows"] == 200 and row["tier"] == f"{forced}+parallel_{forced}"
    assert store.sql("SELECT count(DISTINCT id) AS n, min(id) AS lo, max(id) AS hi FROM ev").iloc[0].tolist() == [200, 1, 200]


def test_kpi_single_query(store, pg, axis_config):
    uri, schema, conn = pg
    conn.execute(f"""CREATE TABLE {schema}.kpis AS SELECT i AS id,
        timestamptz '2026-01-01' + i * interval '1 hour' AS created_at, 'Atlas' AS source_name,
        (ARRAY['resolution_rate','csat'])[1 + i % 2] AS kpi_name, (i % 10) / 10.0 AS numeric_value
        FROM generate_series(1, 48) i""")
    sync.add_source(store, "kpi", kind="kpi", url=uri, dataset_query=f"SELECT * FROM {schema}.kpis")
    row = sync.sync(store, "kpi").iloc[0]
    assert row["state"] == "ready" and row["rows"] == 48
    assert store.info("kpi")["kind"] == "kpi"


def test_unknown_and_bad_sources(store, axis_config, pg):
    with pytest.raises(NotFoundError):
        sync.sync(store, "nope")
    uri, schema, _ = pg
    _add(store, pg, incremental_column="no_such_column")
    with pytest.raises(ConfigError, match="incremental_column"):
        sync.sync(store, "ev")


def test_monitoring_sync_keeps_the_record_latency_index(store, pg, axis_config, tier):
    """A long monitoring source: the full sync builds the record-latency index and an
    incremental sync appends the new records to it."""
    uri, schema, conn = pg
    conn.execute(f"""
        CREATE TABLE {schema}.mon AS
        SELECT i AS id, 'rec_' || ((i - 1) / 3) AS dataset_id,
               (ARRAY['relevance','coherence','accuracy'])[1 + i % 3] AS metric_name,
               (i % 10) / 10.0 AS metric_score, 100.0 + (i - 1) / 3 AS latency,
               timestamptz '2026-01-01' + ((i - 1) / 3) * interval '1 minute' AS created_at
        FROM generate_series(1, 300) i""")
    sync.add_source(store, "mon", kind="monitoring", url=uri, dataset_query=f"SELECT * FROM {schema}.mon",
                    incremental_column="created_at")
    sync.sync(store, "mon")
    info = store.info("mon")
    assert info["latency_unique"] is True and info["latency_table"] in info["tables"]
    assert int(store.dataset("mon").latency()["count"][0]) == 100
    conn.execute(f"""INSERT INTO {schema}.mon
        SELECT i, 'rec_' || ((i - 1) / 3), 'relevance', 0.5, 1000.0,
               timestamptz '2026-02-01' + ((i - 1) / 3) * interval '1 second' FROM generate_series(301, 330) i""")
    row = sync.sync(store, "mon").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 30
    lat = store.dataset("mon").latency()
    assert int(lat["count"][0]) == 110 and float(lat["max"][0]) == 1000.0
    info = store.info("mon")
    assert info["latency_unique"] is True
    assert store.read(lambda cur: "record_latency" in store.context(cur, "mon").tables)
