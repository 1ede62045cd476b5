"""An incremental sync computes the dataset's metadata from the previous metadata and the new
rows (no scan of the whole table): it must say exactly what a full sync of the same rows says."""

from __future__ import annotations

import pytest

from axis_jupyter import LocalStore, sync
from axis_jupyter.store.metadata import _merged_range

pytestmark = pytest.mark.postgres

KEYS = ("rows", "records", "filter_values", "metrics", "time_range", "columns")


def _same_as_full(store, tmp_path, name: str, **source) -> dict:
    """``name``'s metadata after its incremental sync, checked against a full sync of the
    same source into a second store."""
    fresh = LocalStore(tmp_path / f"full_{name}.duckdb")
    try:
        sync.add_source(fresh, name, **source)
        assert sync.sync(fresh, name).iloc[0]["sync_type"] == "full"
        want, got = fresh.info(name), store.info(name)
        for key in KEYS:
            assert got[key] == want[key], key
        return got
    finally:
        fresh.close()


def test_an_increment_with_new_cases_and_new_values(store, pg, axis_config, tier, tmp_path):
    uri, schema, conn = pg
    source = dict(kind="evals", url=uri, dataset_query=f"SELECT * FROM {schema}.cases",
                  results_query=f"SELECT * FROM {schema}.scores", incremental_column="updated_at")
    sync.add_source(store, "ev", **source)
    sync.sync(store, "ev")
    # New results for an existing case and for two new ones; a new experiment and metric
    # that sort before and between the existing values; a NULL experiment.
    conn.execute(f"""INSERT INTO {schema}.cases VALUES
        ('case_021', 'q21', 'a21', timestamptz '2026-03-01'),
        ('case_022', 'q22', 'a22', timestamptz '2026-03-01')""")
    conn.execute(f"""INSERT INTO {schema}.scores VALUES
        (201, 'case_001', 'coherence', 0.4, 'aardvark', 'x', timestamptz '2026-03-01 00:01'),
        (202, 'case_021', 'faithfulness', 0.6, 'baseline', 'x', timestamptz '2026-03-01 00:02'),
        (203, 'case_022', 'zeal', 0.7, NULL, 'x', timestamptz '2026-03-01 00:03'),
        (204, 'case_022', 'zeal', 0.8, 'candidate', 'x', timestamptz '2026-03-01 00:04')""")
    row = sync.sync(store, "ev").iloc[0]
    assert row["sync_type"] == "incremental" and row["incremental_rows"] == 4
    info = _same_as_full(store, tmp_path, "ev", **source)
    assert info["records"] == 22
    assert info["filter_values"]["evaluation_name"] == ["aardvark", "baseline", "candidate"]
    assert info["metrics"] == ["coherence", "faithfulness", "relevance", "zeal"]


def test_an_increment_extends_the_time_range(store, pg, axis_config, tmp_path):
    uri, schema, conn = pg
    conn.execute(f"""
        CREATE TABLE {schema}.mon AS
        SELECT i AS id, 'rec_' || ((i - 1) / 2) AS dataset_id,
               (ARRAY['relevance','accuracy'])[1 + i % 2] AS metric_name,
               (i % 10) / 10.0 AS metric_score, 'prod' AS environment,
               timestamptz '2026-01-01' + i * interval '1 minute' AS created_at
        FROM generate_series(1, 40) i""")
    source = dict(kind="monitoring", url=uri, dataset_query=f"SELECT * FROM {schema}.mon",
                  incremental_column="created_at")
    sync.add_source(store, "mon", **source)
    sync.sync(store, "mon")
    before = store.info("mon")["time_range"]
    conn.execute(f"""INSERT INTO {schema}.mon VALUES
        (41, 'rec_99', 'relevance', 0.5, 'staging', timestamptz '2026-02-01 12:00')""")
    assert sync.sync(store, "mon").iloc[0]["sync_type"] == "incremental"
    info = _same_as_full(store, tmp_path, "mon", **source)
    assert info["time_range"][0] == before[0] and info["time_range"][1] > before[1]
    assert info["filter_values"]["environment"] == ["prod", "staging"]


def test_merged_time_ranges():
    a = ["2026-01-01T00:00:00", "2026-01-31T00:00:00"]
    b = ["2025-12-31T23:59:59", "2026-01-15T00:00:00"]
    assert _merged_range(a, b) == ["2025-12-31T23:59:59", "2026-01-31T00:00:00"]
    assert _merged_range(None, b) == b and _merged_range(a, None) == a
    assert _merged_range([None, None], a) == a
