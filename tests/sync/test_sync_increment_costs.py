"""What keeps an incremental sync cheap: one ADBC connection for all reads of a sync, the
increment landed in the store's in-memory scratch database, small increments landed raw
before their join. Real PostgreSQL, real DuckDB files, every read tier."""

from __future__ import annotations

import psycopg
import pytest

from axis_jupyter import sync
from axis_jupyter.store import scratch
from axis_jupyter.sync import land
from axis_jupyter.sync import readers as rd
from axis_jupyter.sync import tiers
from axis_jupyter.sync.incremental import _streams
from sync_helpers import add_rows

pytestmark = pytest.mark.postgres


def _add(store, pg, results_query=None):
    uri, schema, _ = pg
    return sync.add_source(store, "ev", kind="evals", url=uri,
                           dataset_query=f"SELECT * FROM {schema}.cases",
                           results_query=results_query or f"SELECT * FROM {schema}.scores",
                           incremental_column="updated_at")


def _tables(store) -> list[tuple[str, str]]:
    return store.read(lambda c: c.execute(
        "SELECT database_name, table_name FROM duckdb_tables()").fetchall())


def _scratch_tables(store) -> list[str]:
    return [t for db, t in _tables(store) if db == scratch.NAME]


@pytest.mark.parametrize("new_rows", [5, 400])  # fewer / more than the 20-60 dataset rows
def test_an_increment_small_or_large_appends_the_joined_rows(store, pg, axis_config, tier, new_rows):
    uri, schema, conn = pg
    _add(store, pg)
    sync.sync(store, "ev")
    add_rows(conn, schema, 201, new_rows)
    conn.execute(f"ANALYZE {schema}.scores; ANALYZE {schema}.cases")  # PostgreSQL's estimate
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental" and row["tier"] == tier
    assert row["rows"] == 200 + new_rows and row["incremental_rows"] == new_rows
    # every new result carries its case's columns (the join), old and new cases alike
    got = store.sql("SELECT count(*) AS n, count(query) AS q, "
                    "count(*) FILTER (WHERE query = 'new question') AS new_cases FROM ev WHERE id > 200")
    assert got["n"][0] == new_rows and got["q"][0] == new_rows
    assert got["new_cases"][0] == sum(1 for i in range(201, 201 + new_rows) if (i - 1) // 10 + 1 > 20)
    assert store.dataset("ev").summary()["count"].sum() == 200 + new_rows
    # the increment's tables are gone: none in the scratch database, none in the file
    assert _scratch_tables(store) == []
    assert set(t for db, t in _tables(store) if t.startswith("_axis_t_ev")) == set(store.info("ev")["tables"])


def test_a_failed_increment_keeps_the_data_and_leaves_no_scratch_tables(store, pg, axis_config, tier):
    uri, schema, conn = pg
    # the same query all along: a row added later makes it fail halfway through the increment
    _add(store, pg, results_query=f"SELECT *, 1 / (CASE WHEN metric_name = 'boom' THEN 0 ELSE 1 END) "
                                  f"AS one FROM {schema}.scores ORDER BY id")
    sync.sync(store, "ev")
    version = store.info("ev")["version"]
    add_rows(conn, schema, 201, 300)
    conn.execute(f"UPDATE {schema}.scores SET metric_name = 'boom' WHERE id = 450")
    with pytest.raises(sync.SyncError, match="division by zero"):
        sync.sync(store, "ev")
    assert store.info("ev")["version"] == version
    assert store.sql("SELECT count(*) AS n FROM ev")["n"][0] == 200
    assert _scratch_tables(store) == []
    assert sync.status(store, ["ev"]).iloc[0]["watermark"] is None  # the next sync is full
    conn.execute(f"UPDATE {schema}.scores SET metric_name = 'relevance' WHERE id = 450")
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "full" and row["rows"] == 500


def _pid_read(cur, reading, query="SELECT pg_backend_pid() AS pid"):
    cols = [rd.Column("pid", 23, "INTEGER")]
    return tiers.read(cur, reading, query, cols,
                      lambda rel: cur.execute(f"SELECT pid FROM {rel}").fetchall()[0][0], label="test")


def test_the_reads_of_one_sync_share_one_arrow_connection(store, pg_uri):
    with psycopg.connect(pg_uri, autocommit=True) as other:
        other.execute("CREATE TABLE IF NOT EXISTS _axis_snap_probe (pid int)")
    snap = rd.Snapshot({"conninfo": pg_uri}, probe_timeout_s=10, copy_timeout_s=60)
    try:
        reading = tiers.Reading(snap, tier="arrow")
        with store.cursor() as cur:
            first, r1 = _pid_read(cur, reading)
            second, r2 = _pid_read(cur, reading)
            assert r1.tier == r2.tier == "arrow"
            assert first == second  # the second read ran on the first read's connection
            # a read that fails gives its connection up; the next one opens another
            with pytest.raises(rd.SyncError, match="division by zero"):
                _pid_read(cur, reading, "SELECT (1 / 0)::int AS pid")
            third, _ = _pid_read(cur, reading)
            assert third != first
            # the kept connection still reads the sync's snapshot: a row committed since
            # is not seen
            with psycopg.connect(pg_uri, autocommit=True) as other:
                other.execute("INSERT INTO _axis_snap_probe VALUES (1)")
            seen, _ = tiers.read(cur, reading, "SELECT pid FROM _axis_snap_probe",
                                 [rd.Column("pid", 23, "INTEGER")],
                                 lambda rel: cur.execute(f"SELECT count(*) FROM {rel}").fetchall()[0][0],
                                 label="test")
            assert seen == 0
    finally:
        snap.close()
        with psycopg.connect(pg_uri, autocommit=True) as other:
            other.execute("DROP TABLE IF EXISTS _axis_snap_probe")


def test_increments_land_raw_only_when_smaller_than_the_dataset_side():
    side = land.DatasetSide(plan=None, relation="d", rows=1000, columns=[])
    assert _streams(side, 50) is False  # the join then hashes the 50 new rows
    assert _streams(side, 5000) is True  # more new rows than dataset rows: stream them
    assert _streams(side, None) is True  # no estimate: the full sync's way
    assert _streams(None, 50) is True  # a single-query source has no join
