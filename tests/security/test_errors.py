"""Errors that help without exposing internals (issue 12, finding 7).

Each request a fuzzer turned into an HTTP 500 is now a 400 that names the parameter and
what it expects; no error body shows a Python class, a traceback, compiled SQL or the
store's internal tables; a 404 does not list the other datasets; the database browser
answers every failed connection the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest
from axis_helpers import strict_json
from support.leaks import assert_no_leak

from axis_jupyter.errors import NotFoundError, ParameterError, QueryError

ANALYTIC = ("datasets", "demo_monitoring", "analytics")


async def _bad(api, method, *parts, param, expects=None, **kw):
    r = await api(method, *parts, **kw)
    text = r.body.decode()
    assert r.code == 400, text
    body = strict_json(r)
    assert body["type"] == "bad_parameter", body
    assert param in body["error"], body
    if expects:
        assert expects in body["error"], body
    assert_no_leak(text)
    return body["error"]


# ----------------------------------------------------------------------- the fuzzer's 500s
@pytest.mark.parametrize("analytic, body, param, expects", [
    ("summary", {"filters": "x"}, "filters", "JSON object"),
    ("summary", {"filters": 3}, "filters", "JSON object"),
    ("trends", {"filters": ["environment"]}, "filters", "JSON object"),
    ("summary", {"filters": {"metric_score": "high"}}, "filters.metric_score", "numbers"),
    ("summary", {"filters": {"metric_name": {"a": 1}}}, "filters.metric_name", None),
    ("summary", {"filters": {"timestamp": "yesterday-ish"}}, "filters.timestamp", "date/time"),
    ("summary", {"by": "metric_name"}, "by", "already gives one row per metric_name"),
    ("pass_rates", {"by": ["environment", "environment"]}, "by", "more than once"),
    ("latency_histogram", {"by": "latency"}, "by", None),
    ("summary", {"by": 7}, "by", "a string or a list of strings"),
    ("summary", {"threshold": "high"}, "threshold", "a number"),
    ("case_list", {"limit": "x"}, "limit", "an integer"),
    ("scatter", {"x": "relevance", "y": "relevance", "limit": "x"}, "limit", "an integer"),
    ("insights", {"page": 10**30}, "page", "an integer from 1 to"),
    ("distribution", {"bins": 10**12}, "bins", "an integer from 1 to 1000"),
    ("length_analysis", {"column": "latency"}, "column", "text column"),
    ("trends", {"metrics": {"a": 1}}, "metrics", None),
    ("summary", {"bogus": 1}, "bogus", "parameters: threshold, by, filters, metrics"),
])
async def test_wrong_analytic_parameters_are_400_naming_them(api, demo, analytic, body, param,
                                                             expects):
    await _bad(api, "POST", *ANALYTIC, analytic, body=body, param=param, expects=expects)


@pytest.mark.parametrize("params, param, expects", [
    ({"page": str(10**30)}, "page", "an integer from 1 to"),
    ({"page": "x"}, "page", "an integer"),
    ({"page_size": "-3"}, "page_size", None),
    ({"columns": "metric_name,metric_name"}, "columns", "more than once"),
    ({"filters": "3"}, "filters", "JSON object"),
    ({"filters": '{"latency": "slow"}'}, "filters.latency", "numbers"),
    ({"descending": "sideways"}, "descending", "true or false"),
])
async def test_wrong_row_parameters_are_400_naming_them(api, demo, params, param, expects):
    await _bad(api, "GET", "datasets", "demo_monitoring", "rows", params=params, param=param,
               expects=expects)


@pytest.mark.parametrize("view, action, body, param", [
    ("monitor", "traces", {"page": 10**30}, "page"),
    ("monitor", "payload", {"group_by": "latency"}, "group_by"),
    ("monitor", "classification", {"metric": ["a", "a"]}, "metric"),
    ("deepdive", "tradeoffs", {"x": [0, 1]}, "x"),
])
async def test_wrong_view_parameters_are_400_naming_them(api, demo, view, action, body, param):
    dataset = "demo_monitoring" if view == "monitor" else "demo_evals"
    await _bad(api, "POST", "datasets", dataset, "views", view, action, body=body, param=param)


@pytest.mark.parametrize("body, param, expects", [
    ({"host": "127.0.0.1", "port": "abc"}, "port", "an integer from 1 to 65535"),
    ({"host": "127.0.0.1", "port": 10**9}, "port", None),
    ({"source": [None, None]}, "source", "a string"),
    ({"host": ["a"]}, "host", "a string"),
    ({"ssl_mode": "sometimes"}, "ssl_mode", "one of"),
])
async def test_wrong_connect_parameters_are_400_naming_them(api, body, param, expects):
    await _bad(api, "POST", "database", "connect", body=body, param=param, expects=expects)


@pytest.mark.parametrize("route, body, param", [
    (("query",), {"sql": "SELECT 1", "limit": "x"}, "limit"),
    (("query",), {"sql": ["SELECT 1"]}, "sql"),
    (("evals", "runs"), {"source": [None, None], "metrics": ["exact_match"]}, "source"),
    (("evals", "runs"), {"source": "demo_evals", "metrics": "exact_match"}, "metrics"),
    (("evals", "mapping"), {"columns": "a,b"}, "columns"),
    (("sync", "sources"), {"name": "s1", "kind": "evals", "url": "postgresql://h/db",
                           "dataset_query": "SELECT 1", "refresh_interval_minutes": "often"},
     "refresh_interval_minutes"),
])
async def test_wrong_body_fields_are_400_naming_them(api, demo, route, body, param):
    await _bad(api, "POST", *route, body=body, param=param)


async def test_wrong_query_string_parameters_are_400(api, demo):
    await _bad(api, "POST", "sync", params={"full": "perhaps"}, param="full")
    await _bad(api, "GET", "jobs", "nojob", "events", params={"last_event_id": "x"},
               param="last_event_id")


# ----------------------------------------------------------------------- what a body holds
async def test_openapi_describes_each_parameter(api):
    spec = strict_json(await api("GET", "openapi.json"))
    rows = spec["paths"]["/datasets/{name}/rows"]["get"]["parameters"]
    page = next(p for p in rows if p["name"] == "page")
    assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": 10**9}
    connect = spec["paths"]["/database/connect"]["post"]["requestBody"]["content"]
    port = connect["application/json"]["schema"]["properties"]["port"]
    assert (port["type"], port["minimum"], port["maximum"]) == ("integer", 1, 65535)
    analytic = spec["paths"]["/datasets/{name}/analytics/{analytic}"]["post"]
    names = next(p for p in analytic["parameters"] if p["name"] == "analytic")["schema"]["enum"]
    assert {"summary", "trends", "case_diff"} <= set(names)
    props = analytic["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["bins"]["maximum"] == 1000 and props["filters"]["type"] == "object"
    listed = strict_json(await api("GET", "analytics"))["analytics"]
    summary = next(a for a in listed if a["name"] == "summary")
    assert set(summary["parameters"]) == {"threshold", "by", "filters", "metrics"}


async def test_internal_error_shows_an_id_not_the_exception(api, demo, monkeypatch, caplog):
    import duckdb

    def broken(*a, **k):
        raise duckdb.BinderException('Binder Error: column x not found\nLINE 1: SELECT "x" '
                                     'FROM "_axis_t_demo_evals_1_long"')

    monkeypatch.setattr(demo, "analytic", broken)
    with caplog.at_level(logging.ERROR, logger="axis_jupyter_server"):
        r = await api("POST", "datasets", "demo_evals", "analytics", "summary", body={})
    text = r.body.decode()
    assert r.code == 500
    body = strict_json(r)
    assert body["type"] == "internal" and body["error"].startswith(
        "internal error (logged on the server, id ")
    assert_no_leak(text)
    ref = body["error"].rsplit("id ", 1)[1].rstrip(").")
    logged = [rec for rec in caplog.records if ref in rec.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log


async def test_unknown_dataset_404_does_not_list_the_others(api, demo):
    for parts in (("datasets", "nope"), ("datasets", "nope", "rows")):
        r = await api("GET", *parts)
        assert r.code == 404
        body = strict_json(r)
        assert body["type"] == "not_found" and "nope" in body["error"]
        assert "demo_evals" not in r.body.decode() and "demo_monitoring" not in r.body.decode()
    r = await api("DELETE", "datasets", "nope")
    assert r.code == 404 and "demo_" not in r.body.decode()
    assert set(demo.datasets()["name"]) == {"demo_evals", "demo_monitoring"}


async def test_kernel_client_maps_codes_back_to_exceptions(demo, axis_state, http_server,
                                                           jp_http_port, jp_base_url):
    from axis_jupyter.store.remote import RemoteStore

    remote = RemoteStore(f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/",
                         axis_state.secret)
    try:
        with pytest.raises(ParameterError, match="by cannot be 'metric_name'") as bad:
            await asyncio.to_thread(remote.analytic, "demo_evals", "summary", by="metric_name")
        assert isinstance(bad.value, QueryError) and bad.value.status == 400
        with pytest.raises(NotFoundError, match="no dataset named 'zz'"):
            await asyncio.to_thread(remote.info, "zz")
        with pytest.raises(QueryError, match="only SELECT"):
            await asyncio.to_thread(remote.sql, "DROP TABLE demo_evals")
    finally:
        remote.close()


# ----------------------------------------------------------------------- database/connect
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_connect_failures_all_look_the_same(api, pg_uri, http_server, jp_http_port):
    """A closed port, an open port that is not PostgreSQL (this Jupyter server) and a real
    PostgreSQL refusing the login: one message shape, one status, one code."""
    from urllib.parse import parse_qs, urlsplit

    pg = urlsplit(pg_uri)
    pg_host = parse_qs(pg.query).get("host", [pg.hostname])[0]
    tries = {"closed": ("127.0.0.1", _closed_port()), "not postgres": ("127.0.0.1", jp_http_port),
             "postgres": (pg_host, pg.port or 5432)}
    answers = {}
    for label, (host, port) in tries.items():
        r = await api("POST", "database", "connect", body={
            "host": host, "port": port, "database": "postgres",
            "username": "nobody_here", "password": "wrong"})
        body = strict_json(r)
        answers[label] = (r.code, body["type"],
                          body["error"].replace(f"{host}:{port}", "HOST:PORT"))
    assert len(set(answers.values())) == 1, answers
    code, typ, message = answers["closed"]
    assert code == 400 and typ == "cannot_connect"
    assert message == ("cannot connect to HOST:PORT/postgres: check the host, port, "
                       "database, user and password.")


# ----------------------------------------------------------------------- long CSV fields
def test_a_field_past_the_line_limit_is_named_as_too_long(store, tmp_path):
    from axis_jupyter.errors import IngestError
    from axis_jupyter.ingest.readers import MAX_LINE_BYTES

    p = tmp_path / "long.csv"
    with open(p, "w") as f:
        f.write("dataset_id,query,metric_name,metric_score\n")
        f.write("a,short,m,0.5\n")
        f.write('b,"' + "x" * MAX_LINE_BYTES + '",m,0.5\n')
    with pytest.raises(IngestError) as err:
        store.load(p, name="long")
    msg = str(err.value)
    assert "line 3 is longer than the 32 MB a CSV line may hold" in msg
    assert "quote" not in msg
    assert "long" not in set(store.datasets()["name"])


def test_error_bodies_of_jobs_name_no_class(demo):
    """A job that crashes keeps its traceback in the log; its record shows an id only."""
    from axis_jupyter.jobs import JobRunner

    runner = JobRunner(max_workers=1)
    try:
        job = runner.start("t", lambda job: {}["missing"])
        assert job.wait_sync(30)
        d = job.to_dict()
        assert d["error_type"] == "internal" and "KeyError" not in json.dumps(d)
        assert d["error"] == f"internal error (logged on the server, job {job.id})."
    finally:
        runner.shutdown()
