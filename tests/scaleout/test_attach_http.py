"""``POST /axis/api/attach`` on a real Jupyter server, then the usual routes on the attached
dataset: the server's store runs them on PostgreSQL (issue 17)."""

from __future__ import annotations

import json

import pytest

from axis_jupyter import wire


def _json(resp) -> dict:
    return json.loads(resp.body)


@pytest.fixture
def attached_on_server(api, pg_tables, _restore_axis_env):
    async def attach(**body):
        return await api("POST", "attach", body={"name": "prod", "backend": pg_tables,
                                                 "table": "raw_evals", "kind": "evals", **body})
    return attach


async def test_attach_then_datasets_analytics_and_views(api, attached_on_server, xstore):
    r = await attached_on_server()
    assert r.code == 200, r.body
    info = _json(r)["dataset"]
    assert (info["name"], info["kind"], info["rows"], info["records"]) == ("prod", "evals", 1200, 40)
    assert info["tables"] == [] and info["attached"]["table"] == "raw_evals"

    r = await api("POST", "datasets", "prod", "analytics", "summary", body={})
    got = wire.split_to_frame(_json(r)).sort_values("metric_name").reset_index(drop=True)
    exp = xstore.dataset("ev_duck").summary().sort_values("metric_name").reset_index(drop=True)
    assert got["mean"].round(9).tolist() == exp["mean"].round(9).tolist()

    r = await api("POST", "datasets", "prod", "views", "scorecard", "payload", body={})
    assert r.code == 200, r.body
    assert _json(r)["kpis"]["test_cases"] == 40

    r = await api("GET", "datasets", "prod", "rows", params={"page_size": "5"})
    assert r.code == 200, r.body


@pytest.mark.parametrize("body, param", [
    ({"backend": "postgresql://axis:hunter2@db/prod"}, "backend"),
    ({"backend": "duckdb:///home/user/other.duckdb"}, "backend"),
    ({"table": "no_such_table"}, "table"),
    ({"password_env": "JUPYTER_TOKEN"}, "password_env"),
])
async def test_bad_attach_is_400_naming_the_parameter(api, attached_on_server, body, param):
    r = await attached_on_server(**body)
    assert r.code == 400, r.body
    err = _json(r)["error"]
    assert param in err
    assert "hunter2" not in r.body.decode() and "Traceback" not in err
    r = await api("GET", "datasets", "prod")
    assert r.code == 404


async def test_a_kernel_attaches_through_the_server(attached_on_server, jp_serverapp,
                                                     jp_http_port, jp_base_url, pg_tables):
    """``axis.attach`` in a kernel of the server (RemoteStore) posts the URL; the server's
    store attaches; a connection object of the kernel is refused (it cannot travel)."""
    import asyncio

    from axis_jupyter.errors import ParameterError
    from axis_jupyter.workbench import RemoteStore

    url = f"http://localhost:{jp_http_port}{jp_base_url}axis/api/"
    remote = RemoteStore(url, jp_serverapp.identity_provider.token, token_scheme="token")
    ds = await asyncio.to_thread(remote.attach, "from_kernel", pg_tables, "raw_evals",
                                 kind="evals")
    summary = await asyncio.to_thread(ds.summary)
    assert len(summary) == 10 and set(summary["count"]) == {120}
    with pytest.raises(ParameterError) as e:
        remote.attach("obj", object(), "raw_evals")
    assert e.value.param == "backend"
