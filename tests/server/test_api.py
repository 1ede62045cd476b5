"""Every /axis/api route: happy path and its 4xx errors (in-process server, base_url /a%40b/)."""

from __future__ import annotations

import json
import threading

import pyarrow as pa
import pytest
from axis_helpers import EVAL_CSV, multipart, strict_json

from axis_jupyter import wire

ARROW = {"Accept": wire.ARROW_STREAM}


# ----------------------------------------------------------------------------- health / meta
async def test_health(api, axis_state, axis_store_path):
    r = await api("GET", "health")
    assert r.code == 200
    body = strict_json(r)
    assert body["status"] == "ok" and body["version"]
    assert body["store"] == str(axis_store_path)
    assert body["datasets"] == 0


async def test_health_counts_datasets(api, loaded):
    assert strict_json(await api("GET", "health"))["datasets"] == 1


async def test_unknown_route_under_axis_api_is_404(api):
    r = await api("GET", "no_such_thing")
    assert r.code == 404


# ----------------------------------------------------------------------------- datasets
async def test_datasets_list(api, loaded):
    r = await api("GET", "datasets")
    assert r.code == 200
    (row,) = strict_json(r)["datasets"]
    assert row["name"] == "ev" and row["kind"] == "evals"
    assert row["rows"] == 6 and row["records"] == 3
    assert set(row) == {"name", "kind", "layout", "rows", "records", "columns", "updated"}


async def test_dataset_info_and_404(api, loaded):
    r = await api("GET", "datasets", "ev")
    assert r.code == 200
    info = strict_json(r)
    assert info["name"] == "ev" and "metric_name" in [c["name"] for c in info["columns"]]
    r = await api("GET", "datasets", "nope")
    assert r.code == 404
    body = strict_json(r)
    assert "no dataset named 'nope'" in body["error"] and body["type"] == "not_found"


async def test_delete_dataset(api, loaded):
    r = await api("DELETE", "datasets", "ev")
    assert r.code == 204 and not r.body
    assert (await api("GET", "datasets", "ev")).code == 404
    assert (await api("DELETE", "datasets", "ev")).code == 404


async def test_delete_while_loading_is_409(api, loaded, axis_state):
    gate = threading.Event()
    job = axis_state.jobs.start("upload", lambda j: gate.wait(), key="dataset:ev")
    try:
        r = await api("DELETE", "datasets", "ev")
        assert r.code == 409
    finally:
        gate.set()
        await job.wait()


async def test_upload_wait_returns_201(api, axis_state):
    body, ctype = multipart({"name": "up1", "kind": "evals"}, ("results.csv", EVAL_CSV))
    r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype},
                  params={"wait": "1"})
    assert r.code == 201, r.body
    info = strict_json(r)["dataset"]
    assert info["name"] == "up1" and info["rows"] == 6
    assert r.headers["Location"].endswith("/a%40b/axis/api/datasets/up1")
    assert axis_state.store.info("up1")["kind"] == "evals"


async def test_upload_name_from_file_and_mapping(api, axis_state):
    csv = b"case,score,metric\nx,0.5,m1\ny,0.7,m1\n"
    mapping = {"case": "dataset_id", "score": "metric_score", "metric": "metric_name"}
    body, ctype = multipart({"mapping": json.dumps(mapping)}, ("My Results.csv", csv))
    r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype},
                  params={"wait": "true"})
    assert r.code == 201, r.body
    assert strict_json(r)["dataset"]["name"] == "my_results"
    assert axis_state.store.info("my_results")["rows"] == 2


@pytest.mark.parametrize("fields, file, ctype, fragment", [
    ({"name": "x"}, None, None, "field named 'file'"),
    ({"name": "1bad"}, ("a.csv", EVAL_CSV), None, "is not valid"),
    ({"name": "x", "mapping": "{not json"}, ("a.csv", EVAL_CSV), None, "mapping must be"),
    ({"name": "x", "mapping": "[1]"}, ("a.csv", EVAL_CSV), None, "mapping must be"),
    ({}, ("a.csv", EVAL_CSV), "application/json", "multipart/form-data"),
    ({}, ("a.csv", EVAL_CSV), "multipart/form-data", "boundary"),
])
async def test_upload_bad_requests_are_400(api, fields, file, ctype, fragment):
    body, default_ctype = multipart(fields, file)
    r = await api("POST", "datasets", body=body,
                  headers={"Content-Type": ctype or default_ctype}, params={"wait": "1"})
    assert r.code == 400, r.body
    assert fragment in strict_json(r)["error"]


async def test_upload_truncated_body_is_400(api):
    body, ctype = multipart({"name": "x"}, ("a.csv", EVAL_CSV))
    r = await api("POST", "datasets", body=body[:-20], headers={"Content-Type": ctype})
    assert r.code == 400
    assert "cut off" in strict_json(r)["error"]


async def test_upload_bad_file_fails_job_with_ingest_error(api, axis_state):
    body, ctype = multipart({"name": "broken"}, ("bad.xlsx", b"not a table"))
    r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype},
                  params={"wait": "1"})
    assert r.code == 400
    err = strict_json(r)
    assert err["type"] == "bad_input" and "unsupported file type" in err["error"]
    assert (await api("GET", "datasets", "broken")).code == 404
    (job,) = axis_state.jobs.list("upload")
    assert job.state == "failed" and job.error_type == "bad_input"


async def test_upload_conflict_while_same_name_loading_is_409(api, axis_state):
    gate = threading.Event()
    job = axis_state.jobs.start("upload", lambda j: gate.wait(), key="dataset:busy")
    try:
        body, ctype = multipart({"name": "busy"}, ("a.csv", EVAL_CSV))
        r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype})
        assert r.code == 409
        assert job.id in strict_json(r)["error"]
    finally:
        gate.set()
        await job.wait()


# ----------------------------------------------------------------------------- rows
async def test_rows_paging_sort_and_strict_json(api, loaded):
    r = await api("GET", "datasets", "ev", "rows",
                  params={"page": 2, "page_size": 4, "sort_by": "metric_score",
                          "descending": "true"})
    assert r.code == 200
    body = strict_json(r)  # the missing score must be null, not NaN
    assert body["total"] == 6 and body["page"] == 2 and body["page_size"] == 4
    assert len(body["rows"]) == 2
    r1 = strict_json(await api("GET", "datasets", "ev", "rows",
                               params={"page_size": 10, "sort_by": "metric_score"}))
    scores = [row["metric_score"] for row in r1["rows"]]
    assert None in scores
    assert [s for s in scores if s is not None] == sorted(s for s in scores if s is not None)


async def test_rows_search_filters_columns(api, loaded):
    body = strict_json(await api("GET", "datasets", "ev", "rows",
                                 params={"search": "REFUND", "columns": "dataset_id,metric_name"}))
    assert body["total"] == 2
    assert all(set(r) == {"dataset_id", "metric_name"} for r in body["rows"])
    body = strict_json(await api("GET", "datasets", "ev", "rows", params={
        "filters": json.dumps({"evaluation_name": "exp_b", "metric_name": ["relevance"]})}))
    assert body["total"] == 1 and body["rows"][0]["metric_score"] == 1.0


@pytest.mark.parametrize("params, fragment", [
    ({"page_size": 501}, "at most 500"),
    ({"page": 0}, "page must be an integer from 1"),
    ({"page": "x"}, "integer"),
    ({"filters": "{bad"}, "filters must be a JSON object"),
    ({"filters": "[1, 2]"}, "JSON object"),
    ({"filters": json.dumps({"nope": 1})}, "no such column"),
    ({"sort_by": "nope"}, "cannot sort by"),
    ({"columns": "nope"}, "unknown column"),
    ({"descending": "maybe"}, "true or false"),
])
async def test_rows_bad_params_are_400(api, loaded, params, fragment):
    r = await api("GET", "datasets", "ev", "rows", params=params)
    assert r.code == 400, r.body
    assert fragment in strict_json(r)["error"]


async def test_rows_unknown_dataset_404(api, loaded):
    assert (await api("GET", "datasets", "zz", "rows")).code == 404


async def test_rows_as_arrow_with_total_header(api, loaded):
    r = await api("GET", "datasets", "ev", "rows", params={"page_size": 1000}, headers=ARROW)
    assert r.code == 200
    assert r.headers["Content-Type"] == wire.ARROW_STREAM
    assert int(r.headers[wire.TOTAL_HEADER]) == 6
    assert wire.from_ipc(r.body).num_rows == 6


# ----------------------------------------------------------------------------- analytics
async def test_analytics_list(api):
    r = await api("GET", "analytics")
    items = {a["name"]: a for a in strict_json(r)["analytics"]}
    assert "summary" in items and "evals" in items["summary"]["kinds"]
    assert items["summary"]["doc"]


async def test_analytic_json_and_arrow_agree(api, loaded):
    r = await api("POST", "datasets", "ev", "analytics", "summary", body={"threshold": 0.5})
    assert r.code == 200
    body = strict_json(r)
    assert body["columns"][:2] == ["metric_name", "count"]
    as_json = wire.split_to_frame(body).set_index("metric_name")
    r = await api("POST", "datasets", "ev", "analytics", "summary", body={"threshold": 0.5},
                  headers=ARROW)
    assert r.headers["Content-Type"] == wire.ARROW_STREAM
    as_arrow = wire.from_ipc(r.body).to_pandas().set_index("metric_name")
    local = loaded.analytic("ev", "summary", threshold=0.5).set_index("metric_name")
    for frame in (as_json, as_arrow):
        assert sorted(frame.index) == ["faithfulness", "relevance"]
        for m in frame.index:
            assert frame.loc[m, "count"] == local.loc[m, "count"]
            assert frame.loc[m, "pass_rate"] == pytest.approx(local.loc[m, "pass_rate"])
    assert as_json.loc["relevance", "count"] == 2  # the empty score is not counted


async def test_analytic_with_filters_and_by(api, loaded):
    r = await api("POST", "datasets", "ev", "analytics", "summary",
                  body={"by": "evaluation_name", "filters": {"metric_name": "faithfulness"}})
    df = wire.split_to_frame(strict_json(r))
    assert sorted(df["evaluation_name"]) == ["exp_a", "exp_b"]


@pytest.mark.parametrize("analytic, body, code, fragment", [
    ("nope", {}, 400, "unknown analytic"),
    ("trends", {}, 400, "does not apply to evals"),
    ("summary", {"bogus": 1}, 400, "summary has no parameter 'bogus'"),
    ("summary", "{not json", 400, "not valid JSON"),
    ("summary", "[1]", 400, "JSON object"),
    ("summary", {"dataset": "x"}, 400, "not analytic parameters"),
    ("summary", {"filters": {"nope": 1}}, 400, "no such column"),
])
async def test_analytic_errors(api, loaded, analytic, body, code, fragment):
    r = await api("POST", "datasets", "ev", "analytics", analytic, body=body)
    assert r.code == code, r.body
    assert fragment in strict_json(r)["error"]


async def test_analytic_unknown_dataset_404(api):
    assert (await api("POST", "datasets", "zz", "analytics", "summary", body={})).code == 404


async def test_unexpected_error_is_500_json(api, loaded, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(loaded, "analytic", boom)
    r = await api("POST", "datasets", "ev", "analytics", "summary", body={})
    assert r.code == 500
    body = strict_json(r)
    # The body names no class and quotes no exception: the traceback is in the server log.
    assert body["type"] == "internal" and "logged on the server, id " in body["error"]
    assert "kaput" not in r.body.decode() and "RuntimeError" not in r.body.decode()


# ----------------------------------------------------------------------------- query
async def test_query_json_and_arrow(api, loaded):
    sql = "SELECT metric_name, count(*) AS n FROM ev GROUP BY 1 ORDER BY 1"
    body = strict_json(await api("POST", "query", body={"sql": sql}))
    assert body["columns"] == ["metric_name", "n"]
    assert body["data"] == [["faithfulness", 3], ["relevance", 3]]
    assert body["truncated"] is False
    r = await api("POST", "query", body={"sql": sql}, headers=ARROW)
    t = wire.from_ipc(r.body)
    assert t.column("n").to_pylist() == [3, 3]


async def test_query_limit_and_json_cap(api, loaded, axis_state, monkeypatch):
    body = strict_json(await api("POST", "query", body={"sql": "SELECT * FROM ev", "limit": 2}))
    assert len(body["data"]) == 2
    monkeypatch.setattr(axis_state, "max_json_rows", 4)
    body = strict_json(await api("POST", "query", body={"sql": "SELECT * FROM ev"}))
    assert len(body["data"]) == 4 and body["truncated"] is True
    r = await api("POST", "query", body={"sql": "SELECT * FROM ev"}, headers=ARROW)
    assert wire.from_ipc(r.body).num_rows == 6  # Arrow is not capped


@pytest.mark.parametrize("body, fragment", [
    ({"sql": "SELECT 1; SELECT 2"}, "exactly one statement"),
    ({"sql": "DROP TABLE ev"}, "only SELECT"),
    ({"sql": "CREATE TABLE x AS SELECT 1"}, "only SELECT"),
    ({"sql": "SELECT * FROM read_csv('/etc/passwd')"}, "read_csv() is not allowed"),
    ({"sql": "SELECT * FROM missing_table"}, "unknown table 'missing_table'"),
    ({"sql": "SELEKT 1"}, "syntax"),
    ({}, "send {\"sql\""),
    ({"sql": "SELECT 1", "limit": 0}, "limit must be an integer from 1"),
])
async def test_query_rejects_non_select(api, loaded, body, fragment):
    r = await api("POST", "query", body=body)
    assert r.code == 400, r.body
    err = strict_json(r)
    assert err["type"] in ("bad_query", "bad_parameter") and fragment in err["error"]
    assert loaded.info("ev")  # nothing was dropped


# ----------------------------------------------------------------------------- views
@pytest.fixture
def echo_view(monkeypatch):
    from axis_jupyter.payloads import registry

    def summary(store, dataset, metric=None):
        rows = 0 if dataset is None else store.info(dataset)["rows"]
        return {"dataset": dataset, "rows": rows, "metric": metric, "nan": float("nan")}

    spec = registry.ViewSpec(name="echo_test", description="test", actions={"summary": summary})
    monkeypatch.setitem(registry.VIEWS, "echo_test", spec)
    return spec


async def test_view_action_with_dataset(api, loaded, echo_view):
    r = await api("POST", "datasets", "ev", "views", "echo_test", "summary",
                  body={"metric": "faithfulness"})
    assert r.code == 200
    assert strict_json(r) == {"dataset": "ev", "rows": 6, "metric": "faithfulness", "nan": None}


async def test_view_action_without_dataset(api, echo_view):
    r = await api("POST", "views", "echo_test", "summary", body={})
    assert strict_json(r) == {"dataset": None, "rows": 0, "metric": None, "nan": None}


@pytest.mark.parametrize("parts, code", [
    (("datasets", "ev", "views", "no_view", "x"), 404),
    (("datasets", "ev", "views", "echo_test", "no_action"), 400),
    (("datasets", "zz", "views", "echo_test", "summary"), 404),
    (("views", "no_view", "x"), 404),
])
async def test_view_action_errors(api, loaded, echo_view, parts, code):
    r = await api("POST", *parts, body={})
    assert r.code == code, r.body
    assert strict_json(r)["error"]


async def test_view_action_bad_params_400(api, loaded, echo_view):
    r = await api("POST", "datasets", "ev", "views", "echo_test", "summary", body={"zzz": 1})
    assert r.code == 400, r.body  # the caller's mistake, named; not a 500
    err = strict_json(r)
    assert "zzz" in err["error"] and "TypeError" not in err["error"]


# ----------------------------------------------------------------------------- jobs
async def test_jobs_list_get_cancel(api, axis_state):
    gate = threading.Event()

    def work(job):
        job.progress(done=1, total=2)
        while not job.cancelled:
            gate.wait(0.01)
        return "never"

    job = axis_state.jobs.start("test", work, key="t1", params={"a": 1})
    r = strict_json(await api("GET", "jobs"))
    assert [j["id"] for j in r["jobs"]] == [job.id]
    assert "result" not in r["jobs"][0]
    assert strict_json(await api("GET", "jobs", params={"kind": "other"}))["jobs"] == []
    one = strict_json(await api("GET", "jobs", job.id))
    assert one["kind"] == "test" and one["params"] == {"a": 1}
    assert one["state"] in ("queued", "running")
    r = await api("DELETE", "jobs", job.id)
    assert r.code == 200 and strict_json(r)["cancel_requested"] is True
    await job.wait()
    assert strict_json(await api("GET", "jobs", job.id))["state"] == "cancelled"
    # cancelling again is harmless
    assert (await api("DELETE", "jobs", job.id)).code == 200


async def test_job_result_and_cancel_finished_409(api, axis_state):
    job = axis_state.jobs.start("test", lambda j: {"x": [1, 2]})
    await job.wait()
    one = strict_json(await api("GET", "jobs", job.id))
    assert one["state"] == "succeeded" and one["result"] == {"x": [1, 2]}
    r = await api("DELETE", "jobs", job.id)
    assert r.code == 409 and "already succeeded" in strict_json(r)["error"]


async def test_job_404(api):
    assert (await api("GET", "jobs", "nope")).code == 404
    assert (await api("DELETE", "jobs", "nope")).code == 404
    assert (await api("GET", "jobs", "nope", "events")).code == 404


# ----------------------------------------------------------------------------- openapi
async def test_openapi_describes_every_route(api, jp_serverapp):
    from axis_jupyter_server import routes

    r = await api("GET", "openapi.json")
    spec = strict_json(r)
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": "/a%40b/axis/api/"}]
    table = jp_serverapp.web_app.settings["axis_state"].extras["routes"]
    for pattern, handler, *_ in table:
        path = routes.openapi_path(pattern)
        assert path in spec["paths"], path
        assert set(spec["paths"][path]) == set(routes.verbs(handler))
        for verb, op in spec["paths"][path].items():
            assert op["summary"] and op["x-auth-resource"].startswith("axis:")
            for name in routes._GROUP.findall(pattern):
                assert {"name": name, "in": "path"}.items() <= next(
                    p for p in op["parameters"] if p["name"] == name).items()
    assert "/datasets/{name}/analytics/{analytic}" in spec["paths"]
    assert "/jobs/{job_id}/events" in spec["paths"]
    assert len(spec["paths"]) == len({routes.openapi_path(p) for p, *_ in table})


def test_arrow_helpers_strict_json():
    import datetime as dt

    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"f": [1.5, np.nan, np.inf], "t": pd.to_datetime(["2026-01-02T00:00:00", None,
                                                                        "2026-01-03T04:05:00"]),
                       "o": [{"a": 1}, [1, 2], None], "i": [1, 2, 3]})
    rows = json.loads(wire.dumps(wire.records(df)))
    assert rows[0] == {"f": 1.5, "t": "2026-01-02T00:00:00", "o": {"a": 1}, "i": 1}
    assert rows[1]["f"] is None and rows[1]["t"] is None and rows[2]["f"] is None
    assert wire.jsonable(dt.date(2026, 1, 2)) == "2026-01-02"
    # mixed object columns still travel as Arrow (as JSON text)
    t = wire.from_ipc(wire.to_ipc(df))
    assert t.num_rows == 3 and (pa.types.is_string(t.schema.field("o").type)
                                 or pa.types.is_large_string(t.schema.field("o").type))
