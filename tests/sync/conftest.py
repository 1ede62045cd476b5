"""Fixtures for the sync tests: a schema per test in the session's real PostgreSQL."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.postgres


@pytest.fixture
def axis_config(tmp_path, monkeypatch):
    """An empty AXIS config folder (sources/, duckdb.yaml) for this test."""
    d = tmp_path / "config"
    d.mkdir()
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(d))
    return d


# The sync's HTTP tests: a Jupyter server under a base URL that needs escaping, with the
# extension's store in this test's folder and the config folder above.
_SERVER_EXT = Path(__file__).resolve().parents[2] / "server_ext"
if str(_SERVER_EXT) not in sys.path:
    sys.path.insert(0, str(_SERVER_EXT))


@pytest.fixture
def jp_base_url():
    return "/a%40b/"


@pytest.fixture
def jp_server_config(tmp_path, axis_config):
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
                   "AxisExtension": {"store_path": str(tmp_path / "store" / "axis.duckdb")}})


TIERS = ("arrow", "copy", "cursor")


@pytest.fixture(params=TIERS)
def tier(request, monkeypatch):
    """Each read tier forced in turn (``AXIS_SYNC_TIER``), for the tests every tier must pass.
    A tier that cannot run here fails its test (forcing it raises), it is never skipped."""
    monkeypatch.setenv("AXIS_SYNC_TIER", request.param)
    return request.param


@pytest.fixture
def pg(pg_uri):
    """(uri, schema, connection): a fresh schema seeded with a small split-sync dataset.

    ``{schema}.cases``: 20 records (dataset_id, query, actual_output, updated_at).
    ``{schema}.scores``: 200 long results (id, dataset_id, metric_name, metric_score,
    evaluation_name, explanation, updated_at), 10 per case.
    """
    schema = "t_" + uuid.uuid4().hex[:10]
    conn = psycopg.connect(pg_uri, autocommit=True)
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"""
        CREATE TABLE {schema}.cases AS
        SELECT 'case_' || lpad(i::text, 3, '0') AS dataset_id, 'question ' || i AS query,
               'answer, with "quotes"' || chr(10) || 'and a newline ' || i AS actual_output,
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 20) i""")
    conn.execute(f"""
        CREATE TABLE {schema}.scores AS
        SELECT i AS id, 'case_' || lpad(((i - 1) / 10 + 1)::text, 3, '0') AS dataset_id,
               (ARRAY['faithfulness','relevance'])[1 + i % 2] AS metric_name,
               ((i % 10) / 10.0)::float8 AS metric_score,
               (ARRAY['baseline','candidate'])[1 + (i / 2) % 2] AS evaluation_name,
               CASE WHEN i % 7 = 0 THEN NULL WHEN i % 5 = 0 THEN '' ELSE 'ok ' || i END AS explanation,
               timestamptz '2026-01-01' + i * interval '1 minute' AS updated_at
        FROM generate_series(1, 200) i""")
    yield pg_uri, schema, conn
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


