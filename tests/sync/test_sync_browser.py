"""Database browser: handles that expire, browsing, previews, imports, injection attempts."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import IngestError, NotFoundError, QueryError
from axis_jupyter.sync.browser import Browser, HandleExpired, TooManyHandles

pytestmark = pytest.mark.postgres


@pytest.fixture
def browser():
    now = [0.0]
    b = Browser(clock=lambda: now[0])
    b.now = now
    return b


def test_handle_lifecycle_and_expiry(browser, pg):
    uri, schema, _ = pg
    h = browser.connect(url=uri)
    assert set(h) == {"handle", "expires_in", "version", "target"}
    assert "PostgreSQL" in h["version"] and h["expires_in"] == 900
    tables = browser.tables(h["handle"])
    assert {"schema_name": schema, "name": "scores"} in [{k: t[k] for k in ("schema_name", "name")} for t in tables]
    browser.now[0] += 14 * 60
    assert browser.tables(h["handle"])  # still valid: 15 minutes absolute
    browser.now[0] += 61
    with pytest.raises(HandleExpired):
        browser.tables(h["handle"])
    assert browser.stats()["active_handles"] == 0
    h2 = browser.connect(url=uri)
    browser.disconnect(h2["handle"])
    with pytest.raises(HandleExpired):
        browser.tables(h2["handle"])


def test_credentials_never_returned(browser, pg):
    uri, schema, _ = pg
    with pytest.raises(Exception) as err:
        browser.connect(host="/nonexistent-socket-dir", database="x", username="u", password="TopSecret!")
    assert "TopSecret" not in str(err.value)
    h = browser.connect(url=uri)
    assert "TopSecret" not in repr(browser._handles)
    assert "password" not in str(h).lower()


def test_handle_cap(pg):
    uri, _, _ = pg
    b = Browser(max_handles=2)
    b.connect(url=uri)
    b.connect(url=uri)
    with pytest.raises(TooManyHandles):
        b.connect(url=uri)


def test_schema_sample_distinct_preview_query(browser, pg):
    uri, schema, _ = pg
    h = browser.connect(url=uri)["handle"]
    s = browser.schema(h, "scores", schema=schema)
    assert [c["name"] for c in s["columns"]][:3] == ["id", "dataset_id", "metric_name"]
    assert len(s["sample_rows"]) == 5
    assert browser.distinct_values(h, "scores", "metric_name", schema=schema) == ["faithfulness", "relevance"]
    p = browser.preview(h, "scores", schema=schema, filters=[{"column": "metric_name", "value": "relevance"}], limit=3)
    assert p["row_count"] == 3 and all(r["metric_name"] == "relevance" for r in p["data"])
    q = browser.query(h, f"SELECT metric_name, count(*) AS n FROM {schema}.scores GROUP BY 1 ORDER BY 1;", limit=500)
    assert q["data"] == [{"metric_name": "faithfulness", "n": 100}, {"metric_name": "relevance", "n": 100}]
    big = browser.query(h, f"SELECT * FROM {schema}.scores", limit=10_000)
    assert big["row_count"] == 100  # capped


def test_import_table_and_query(browser, pg, store, axis_config, tier):
    uri, schema, _ = pg
    h = browser.connect(url=uri)["handle"]
    ds = browser.import_table(store, h, "scores", schema=schema, name="imported", kind="evals")
    assert store.info("imported")["rows"] == 200 and store.info("imported")["imported"]["tier"] == tier
    ds = browser.import_query(store, h, f"SELECT dataset_id, metric_name, metric_score FROM {schema}.scores "
                              "WHERE metric_score > 0.5", name="q_import", kind="evals")
    assert ds.summary()["count"].sum() == 80 and store.info("q_import")["imported"]["tier"] == tier
    # filters and the row cap reach PostgreSQL; a quote in a value is part of the value
    browser.import_table(store, h, "scores", schema=schema, name="capped", kind="evals", limit=7)
    assert store.info("capped")["rows"] == 7
    with pytest.raises(IngestError, match="no rows"):
        browser.import_table(store, h, "scores", schema=schema, name="none", kind="evals",
                             filters={"metric_name": "x' OR '1'='1"})
    assert "none" not in store.datasets()["name"].tolist()


def test_failed_import_keeps_the_old_dataset(browser, pg, store, axis_config, tier):
    uri, schema, _ = pg
    h = browser.connect(url=uri)["handle"]
    browser.import_table(store, h, "scores", schema=schema, name="imported", kind="evals")
    version = store.info("imported")["version"]
    with pytest.raises(QueryError, match="division by zero"):  # fails in PostgreSQL mid-read
        browser.import_query(store, h, f"SELECT dataset_id, metric_name, 1 / (id - 150) AS metric_score "
                             f"FROM {schema}.scores ORDER BY id", name="imported", kind="evals")
    assert store.info("imported")["version"] == version
    assert store.sql("SELECT count(*) AS n FROM imported")["n"][0] == 200
    tables = store.read(lambda c: [r[0] for r in c.execute("SELECT table_name FROM duckdb_tables()").fetchall()])
    assert {t for t in tables if t.startswith("_axis_t_imported")} == set(store.info("imported")["tables"])


@pytest.mark.parametrize("query", [
    "SELECT 1; DROP TABLE {s}.scores",
    "WITH d AS (DELETE FROM {s}.scores RETURNING *) SELECT * FROM d",
    "SELECT 1) AS x; DROP TABLE {s}.scores; --",
])
def test_import_query_is_one_read_only_select(browser, pg, store, axis_config, tier, query):
    uri, schema, conn = pg
    h = browser.connect(url=uri)["handle"]
    with pytest.raises(QueryError):
        browser.import_query(store, h, query.format(s=schema), name="bad", kind="evals")
    assert conn.execute(f"SELECT count(*) FROM {schema}.scores").fetchone()[0] == 200
    assert "bad" not in store.datasets()["name"].tolist()


@pytest.mark.parametrize("table", ['scores"; DROP TABLE x; --', "scores' OR '1'='1", "pg_authid"])
def test_identifier_injection_rejected(browser, pg, table):
    uri, schema, conn = pg
    h = browser.connect(url=uri)["handle"]
    with pytest.raises(NotFoundError):
        browser.schema(h, table, schema=schema)
    assert conn.execute(f"SELECT count(*) FROM {schema}.scores").fetchone()[0] == 200


def test_column_and_filter_injection_rejected(browser, pg):
    uri, schema, conn = pg
    h = browser.connect(url=uri)["handle"]
    with pytest.raises(QueryError):
        browser.distinct_values(h, "scores", 'metric_name" FROM x; DROP TABLE y; --', schema=schema)
    with pytest.raises(QueryError):
        browser.preview(h, "scores", schema=schema, filters=[{"column": "1=1 OR metric_name", "value": "x"}])
    # a value is a parameter: the classic payload matches nothing
    p = browser.preview(h, "scores", schema=schema, filters={"metric_name": "x' OR '1'='1"})
    assert p["row_count"] == 0
    with pytest.raises(QueryError):
        browser.preview(h, "scores", schema=schema, columns=["id", "pg_read_file('/etc/passwd')"])


@pytest.mark.parametrize("query", [
    "SELECT 1; DROP TABLE {s}.scores",
    "DROP TABLE {s}.scores",
    "DELETE FROM {s}.scores",
    "WITH d AS (DELETE FROM {s}.scores RETURNING *) SELECT * FROM d",
    "SELECT 1) AS x; DROP TABLE {s}.scores; --",
])
def test_adhoc_query_is_one_read_only_select(browser, pg, query):
    uri, schema, conn = pg
    h = browser.connect(url=uri)["handle"]
    with pytest.raises(QueryError):
        browser.query(h, query.format(s=schema))
    assert conn.execute(f"SELECT count(*) FROM {schema}.scores").fetchone()[0] == 200


def test_adhoc_query_ending_in_a_comment(browser, pg):
    uri, schema, conn = pg
    h = browser.connect(url=uri)["handle"]
    out = browser.query(h, f"SELECT * FROM {schema}.scores --")
    assert out["row_count"] == 10  # the comment cannot eat the wrapper


def test_read_only_transaction_blocks_writes_in_functions(browser, pg):
    uri, schema, conn = pg
    conn.execute(f"CREATE SEQUENCE {schema}.seq")
    h = browser.connect(url=uri)["handle"]
    with pytest.raises(QueryError, match="read-only"):
        browser.query(h, f"SELECT nextval('{schema}.seq')")
