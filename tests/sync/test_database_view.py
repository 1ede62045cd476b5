"""The database view's Python side: the import wizard (column mapping, skipped columns, value
filters on several values, row limit) against a real PostgreSQL."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import QueryError
from axis_jupyter.notebook.widgets import call_action

pytestmark = pytest.mark.postgres


def _connect(store, uri):
    return call_action(store, None, "database", "connect", {"url": uri})["handle"]


def test_wizard_imports_mapped_filtered_limited_rows(store, pg, axis_config):
    uri, schema, conn = pg
    h = _connect(store, uri)
    filters = [{"column": "metric_name", "values": ["relevance"]},
               {"column": "evaluation_name", "values": ["baseline", "candidate"]}]
    pv = call_action(store, None, "database", "preview", {
        "handle": h, "table": "scores", "schema": schema, "filters": filters,
        "columns": ["id", "dataset_id", "metric_name", "metric_score", "evaluation_name"], "limit": 10})
    assert pv["columns"] == ["id", "dataset_id", "metric_name", "metric_score", "evaluation_name"]
    assert pv["row_count"] == 10 and {r["metric_name"] for r in pv["data"]} == {"relevance"}
    out = call_action(store, None, "database", "import_table", {
        "handle": h, "table": "scores", "schema": schema, "name": "wiz", "kind": "evals",
        "filters": filters, "columns": ["id", "dataset_id", "metric_name", "metric_score", "evaluation_name"],
        "mapping": {"id": "record_no"}, "limit": 100})
    want = conn.execute(f"SELECT count(*) FROM {schema}.scores WHERE metric_name = 'relevance' "
                        "AND evaluation_name IN ('baseline', 'candidate')").fetchone()[0]
    assert out["dataset"] == "wiz" and out["rows"] == min(100, want) == 100
    cols = [c["name"] for c in store.info("wiz")["columns"]]
    assert "record_no" in cols and "id" not in cols and "explanation" not in cols and "updated_at" not in cols
    assert set(store.sql("SELECT DISTINCT metric_name FROM wiz")["metric_name"]) == {"relevance"}
    # values of any type, compared as the column's text: ids (integers) and booleans too
    ids = call_action(store, None, "database", "preview", {
        "handle": h, "table": "scores", "schema": schema, "filters": [{"column": "id", "values": [3, "7", 11]}], "limit": 50})
    assert sorted(r["id"] for r in ids["data"]) == [3, 7, 11]
    one = call_action(store, None, "database", "import_table", {
        "handle": h, "table": "scores", "schema": schema, "name": "wiz1", "kind": "evals",
        "filters": {"evaluation_name": "baseline"}, "limit": 500})
    assert one["rows"] == conn.execute(f"SELECT count(*) FROM {schema}.scores WHERE evaluation_name = 'baseline'").fetchone()[0]


@pytest.mark.parametrize("bad, message", [
    ({"filters": [{"column": "metric_name", "values": [["x"]]}]}, "single values"),
    ({"columns": ["id", "no_such"]}, "no column 'no_such'"),
    ({"limit": 0}, "limit"),
])
def test_wizard_refuses_bad_input_and_imports_nothing(store, pg, axis_config, bad, message):
    uri, schema, _ = pg
    h = _connect(store, uri)
    with pytest.raises(QueryError, match=message):
        call_action(store, None, "database", "import_table",
                    {"handle": h, "table": "scores", "schema": schema, "name": "bad", **bad})
    assert "bad" not in set(store.datasets()["name"])


def test_payload_offers_canonical_fields_and_kinds(store, axis_config):
    p = call_action(store, None, "database", "payload", {})
    assert "metric_score" in p["fields"] and "dataset_id" in p["fields"]
    assert p["kinds"][0] == "auto" and "monitoring" in p["kinds"]
