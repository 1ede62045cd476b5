"""Human signals over HTTP on a real Jupyter server (base_url ``/a%40b/``): the signals
routes (schema and config, a page of cases, one case) and the signals analytics through
``POST datasets/{name}/analytics/{analytic}``; bad parameters are 400s naming them."""

from __future__ import annotations

import json
import warnings

import pytest

from axis_jupyter import demo_signals
from support.axis_server import (  # noqa: F401 - fixtures
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)


@pytest.fixture(autouse=True)
def _restore_axis_env():
    with axis_env_restored():
        yield


@pytest.fixture
def hs(axis_state):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(demo_signals.signal_rows(120, seed=5, category_share=0.3), name="hs")
        axis_state.store.load(demo_signals.signal_rows(5, seed=5).to_pandas().assign(
            metric_score=0.5, evaluation_name="x", parent=None, metric_type="metric"), name="ev", kind="evals")
    return axis_state.store


def _json(r):
    return json.loads(r.body)


async def test_schema_config_cases_and_one_case(api, hs):
    r = await api("GET", "datasets", "hs", "signals")
    assert r.code == 200
    body = _json(r)
    assert "escalation_type" in body["metric_schema"]["metrics"]
    assert body["metric_schema"]["metadata_keys"] == ["group", "source_metric"]
    assert body["display_config"]["kpi_strip"][-1]["aggregate"] == "total_cases"

    r = await api("GET", "datasets", "hs", "signals", "cases",
                  params={"page": 2, "page_size": 10, "sort_by": "timestamp", "descending": "true",
                          "filters": json.dumps({"environment": "prod"}),
                          "columns": "dataset_id,timestamp,escalation_type__is_escalated"})
    assert r.code == 200, r.body
    page = _json(r)
    want = hs.analytic("hs", "cases", filters={"environment": "prod"}, sort_by="timestamp", descending=True)
    assert page["total"] == len(want) and page["page"] == 2
    assert [x["dataset_id"] for x in page["rows"]] == want.dataset_id.iloc[10:20].tolist()
    assert set(page["rows"][0]) == {"dataset_id", "timestamp", "escalation_type__is_escalated"}

    case_id = page["rows"][0]["dataset_id"]
    r = await api("GET", "datasets", "hs", "signals", "cases", case_id)
    case = _json(r)
    assert case["fields"]["dataset_id"] == case_id and case["messages"][0]["role"] == "assistant"
    esc = next(m for m in case["metrics"] if m["metric_name"] == "escalation_type")
    assert isinstance(next(s for s in esc["signals"] if s["key"] == "is_escalated")["value"], bool)


async def test_signals_analytics_over_http(api, hs):
    r = await api("POST", "datasets", "hs", "analytics", "signal_kpis", body={"filters": {"source_name": "Nova"}})
    assert r.code == 200
    got = _json(r)
    rows = [dict(zip(got["columns"], row)) for row in got["data"]]
    local = hs.analytic("hs", "signal_kpis", filters={"source_name": "Nova"})
    assert [x["key"] for x in rows] == local.key.tolist()
    for x, v in zip(rows, local.value):
        assert x["value"] == pytest.approx(v)
    r = await api("POST", "datasets", "hs", "analytics", "signal_values",
                  body={"signal": "priority_level__priority_level"})
    assert r.code == 200 and len(_json(r)["data"]) == 4


@pytest.mark.parametrize("path, params, body, param", [
    (("signals", "cases"), {"page_size": 1000}, None, "page_size"),
    (("signals", "cases"), {"sort_by": "nope"}, None, "sort_by"),
    (("signals", "cases"), {"columns": "dataset_id,nope"}, None, "columns"),
    (("analytics", "signal_trends"), None, {"signal": "nope__x"}, "signal"),
    (("analytics", "signal_trends"), None, {"granularity": "year"}, "granularity"),
    (("analytics", "signal_values"), None, {"signal": "escalation_type__is_escalated"}, "signal"),
    (("analytics", "cases"), None, {"filters": {"escalation_type__is_escalated": "maybe"}},
     "filters.escalation_type__is_escalated"),
])
async def test_bad_parameters_are_400s_naming_them(api, hs, path, params, body, param):
    if body is None:
        r = await api("GET", "datasets", "hs", *path, params=params)
    else:
        r = await api("POST", "datasets", "hs", *path, body=body)
    assert r.code == 400, r.body
    err = _json(r)
    assert param in err["error"] and err["type"] == "bad_parameter"
    assert "Traceback" not in err["error"]


async def test_other_kinds_and_unknown_names(api, hs):
    r = await api("GET", "datasets", "ev", "signals")
    assert r.code == 400 and "not human signals" in _json(r)["error"]
    assert (await api("GET", "datasets", "nope", "signals")).code == 404
    r = await api("GET", "datasets", "hs", "signals", "cases", "no-such-case")
    assert r.code == 404 and "no-such-case" in _json(r)["error"]
    r = await api("POST", "datasets", "ev", "analytics", "signal_kpis", body={})
    assert r.code == 400 and "signal_kpis does not apply to evals" in _json(r)["error"]


@pytest.mark.parametrize("analytic", ["summary", "issues", "distribution", "pass_rates"])
async def test_score_analytics_on_signals_without_scores_are_400s(api, hs, analytic):
    """Signals loaded without metric_score: the score analytics say which column is
    missing and which analytics apply (before: an AttributeError, a 500)."""
    r = await api("POST", "datasets", "hs", "analytics", analytic, body={})
    assert r.code == 400, r.body
    err = _json(r)["error"]
    assert "needs the column metric_score" in err and "signal_kpis" in err
    assert "Traceback" not in err and "AttributeError" not in err


async def test_a_kernels_remote_store_gets_the_same_answers(axis_state, hs, http_server, jp_http_port, jp_base_url):
    """What a notebook started by the server does: Dataset methods over HTTP (Arrow)."""
    import asyncio

    from axis_jupyter.store.remote import RemoteStore

    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/"

    def kernel_side():
        remote = RemoteStore(url, axis_state.secret, timeout=60)
        try:
            ds = remote.dataset("hs")
            return (ds.cases(environment="prod", sort_by="timestamp", page=1, page_size=20),
                    ds.signal_kpis(environment="prod"), ds.display_config(), ds.signal_schema())
        finally:
            remote.close()

    cases, kpis, config, schema = await asyncio.to_thread(kernel_side)
    local = hs.dataset("hs")
    want = local.cases(environment="prod", sort_by="timestamp", page=1, page_size=20)
    assert cases.dataset_id.tolist() == want.dataset_id.tolist()
    assert cases["escalation_type__is_escalated"].tolist() == want["escalation_type__is_escalated"].tolist()
    assert kpis.value.tolist() == pytest.approx(local.signal_kpis(environment="prod").value.tolist(), nan_ok=True)
    assert config == local.display_config()
    assert schema.column.tolist() == local.signal_schema().column.tolist()
