"""The sync and database-browser HTTP API in a real Jupyter server (base_url /a%40b/)."""

from __future__ import annotations

import asyncio
import json

import pytest


pytestmark = pytest.mark.postgres


@pytest.fixture
def api(jp_fetch, jp_serverapp):
    async def call(method, *parts, body=None, params=None):
        headers = {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = ""
        r = await jp_fetch("axis", "api", *parts, method=method, body=body, params=params,
                           headers=headers, raise_error=False)
        return r.code, (json.loads(r.body) if r.body and r.headers.get("Content-Type", "").startswith("application/json") else r.body)

    return call


async def _wait_job(api, job_id, timeout=30):
    for _ in range(int(timeout / 0.1)):
        code, job = await api("GET", "jobs", job_id)
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError("job did not finish")


async def test_sync_over_http(api, pg, jp_serverapp):
    uri, schema, conn = pg
    code, body = await api("POST", "sync", "sources", body={
        "name": "ev", "kind": "evals", "url": uri, "dataset_query": f"SELECT * FROM {schema}.cases",
        "results_query": f"SELECT * FROM {schema}.scores", "incremental_column": "updated_at"})
    assert code == 200 and body["source"]["name"] == "ev"
    code, body = await api("GET", "sync", "sources")
    assert [s["name"] for s in body["sources"]] == ["ev"] and "url" not in body["sources"][0]
    code, body = await api("POST", "sync", "ev")
    assert code == 202
    job = await _wait_job(api, body["job"]["id"])
    assert job["state"] == "succeeded", job
    assert job["result"]["rows"] == 200 and job["result"]["sync_type"] == "full"
    assert job["progress"]["phase"] == "done"
    code, body = await api("GET", "sync")
    assert body["datasets"]["ev"]["state"] == "ready"
    code, body = await api("GET", "sync", "ev", "events")  # last job's events, replayed
    text = body.decode()
    assert "event: progress" in text and "event: done" in text and '"phase":"reading"' in text
    code, body = await api("POST", "sync", "ev", "reset-watermark")
    assert code == 200 and body["success"]
    code, body = await api("POST", "sync", "nope")
    assert code == 404
    # a second sync while one runs: 409
    conn.execute(f"INSERT INTO {schema}.scores SELECT i, 'case_001', 'm', 0.5, 'b', 'x', now() "
                 "FROM generate_series(1001, 3000) i")
    code, body = await api("POST", "sync", "sources", body={
        "name": "ev", "kind": "evals", "url": uri, "dataset_query": f"SELECT * FROM {schema}.cases",
        "results_query": f"SELECT s.*, pg_sleep(0.001) IS NULL AS z FROM {schema}.scores s"})
    code, first = await api("POST", "sync", "ev")
    assert code == 202
    code, second = await api("POST", "sync", "ev")
    assert code == 409 and "already" in second["error"]
    job = await _wait_job(api, first["job"]["id"], timeout=60)
    assert job["state"] == "succeeded"


async def test_browser_over_http(api, pg, jp_serverapp):
    uri, schema, conn = pg
    from urllib.parse import parse_qs, urlparse

    sock = parse_qs(urlparse(uri).query)["host"][0]
    code, body = await api("POST", "database", "connect", body={
        "host": sock, "database": "postgres", "username": "postgres", "password": "pw-not-echoed"})
    assert code == 200, body
    assert "pw-not-echoed" not in json.dumps(body)
    h = body["handle"]
    code, body = await api("GET", "database", h, "tables")
    assert any(t["schema_name"] == schema for t in body["tables"])
    code, body = await api("GET", "database", h, "schema", params={"schema": schema, "table": "scores"})
    assert code == 200 and len(body["sample_rows"]) == 5
    code, body = await api("GET", "database", h, "schema", params={"schema": schema, "table": 'scores"; drop'})
    assert code == 404
    code, body = await api("POST", "database", h, "distinct-values",
                           body={"table": {"schema_name": schema, "name": "scores"}, "column": "metric_name"})
    assert body["values"] == ["faithfulness", "relevance"]
    code, body = await api("POST", "database", h, "query", body={"query": f"DELETE FROM {schema}.scores"})
    assert code == 400
    code, body = await api("POST", "database", h, "query-import",
                           body={"query": f"SELECT * FROM {schema}.scores", "name": "imp", "kind": "evals"})
    assert code == 200 and body["rows"] == 200
    code, body = await api("DELETE", "database", h)
    code, body = await api("GET", "database", h, "tables")
    assert code == 401
