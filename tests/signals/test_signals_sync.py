"""A human-signals source synced from a real PostgreSQL: the full sync builds the cases
table and schema, an incremental sync appends rows and rebuilds them (a new case appears,
a later row of a known case wins), and a full sync rebuilds them again."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from axis_jupyter import sync
from axis_jupyter.analytics import signals as S

pytestmark = pytest.mark.postgres


@pytest.fixture
def axis_config(tmp_path, monkeypatch):
    d = tmp_path / "config"
    d.mkdir()
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(d))
    return d


def _signals(i: int, late: bool = False) -> str:
    return json.dumps({"is_escalated": late or i % 2 == 0, "escalation_type": "manager" if late else
                       ["none", "team"][i % 2], "group": "objective"})


@pytest.fixture
def hs_pg(pg_uri):
    """(uri, schema, connection) with hs_cases (dataset side) and hs_rows (results side)."""
    schema = "hs_" + uuid.uuid4().hex[:10]
    conn = psycopg.connect(pg_uri, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"""CREATE TABLE {schema}.hs_cases (dataset_id text, source_name text, conversation text,
                     timestamp timestamptz, updated_at timestamptz)""")
    conn.execute(f"""CREATE TABLE {schema}.hs_rows (id int, dataset_id text, metric_name text, signals text,
                     updated_at timestamptz)""")
    for i in range(1, 11):
        _case(conn, schema, i)
        _row(conn, schema, i, "escalation", _signals(i), minute=i)
        _row(conn, schema, 100 + i, "sentiment", json.dumps({"sentiment": ["pos", "neg"][i % 2],
                                                             "group": "subjective"}), minute=i)
    yield pg_uri, schema, conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


def _case(conn, schema, i, updated="2026-01-01 00:00:00+00"):
    conv = json.dumps({"messages": [{"role": "assistant", "content": f"New billing case: B-{i}"}]})
    conn.execute(f"INSERT INTO {schema}.hs_cases VALUES (%s, %s, %s, %s, %s)",
                 [f"c{i:02d}", "Atlas", conv, f"2026-02-{i:02d} 10:00:00+00", updated])


def _row(conn, schema, rid, metric, signals, minute):
    conn.execute(f"INSERT INTO {schema}.hs_rows VALUES (%s, %s, %s, %s, %s)",
                 [rid, f"c{rid % 100:02d}", metric, signals, f"2026-01-01 00:{minute:02d}:00+00"])


def _cases(store):
    return store.read(lambda cur: S.cases(store.context(cur, "hs")))


def test_sync_builds_and_rebuilds_the_cases(store, hs_pg, axis_config):
    uri, schema, conn = hs_pg
    sync.add_source(store, "hs", "signals", uri, dataset_query=f"SELECT * FROM {schema}.hs_cases",
                    results_query=f"SELECT * FROM {schema}.hs_rows", incremental_column="updated_at")
    row = sync.sync(store, "hs").iloc[0]
    assert row["state"] == "ready" and row["sync_type"] == "full" and row["rows"] == 20
    cases = _cases(store)
    assert len(cases) == 10 and cases.business.iloc[0] == "B-1"
    assert cases["escalation__escalation_type"].tolist()[:2] == ["team", "none"]
    assert store.info("hs")["signals"]["metadata_keys"] == ["group"]

    # new rows: a new case (c11) and a later escalation row of c01 (it wins)
    _case(conn, schema, 11, updated="2026-01-02 00:00:00+00")
    _row(conn, schema, 11, "escalation", _signals(11), minute=30)
    _row(conn, schema, 1, "escalation", _signals(1, late=True), minute=31)
    row = sync.sync(store, "hs").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 2
    cases = _cases(store).set_index("dataset_id")
    assert len(cases) == 11 and cases.at["c01", "escalation__escalation_type"] == "manager"
    assert bool(cases.at["c01", "escalation__is_escalated"]) and cases.at["c11", "business"] == "B-11"
    values = store.info("hs")["signals"]["metrics"]["escalation"]["values"]["escalation_type"]
    assert values == ["manager", "none", "team"]  # the schema is rebuilt too
    tables = store.info("hs")["tables"]
    assert sum(1 for t in tables if t.endswith("_cases")) == 1

    row = sync.sync(store, "hs", full=True).iloc[0]
    assert row["sync_type"] == "full" and len(_cases(store)) == 11
