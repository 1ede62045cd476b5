"""Bounded work (issue 12, findings 4 and 5): time limits, cancellation, answer caps and a
per-user limit on heavy requests, on a real Jupyter server under ``/a%40b/``.

Two users, alice and bob, each with a token of their own (an identity provider of this
module). Assertions are about order and outcome, never about elapsed time: the waits below
only bound how long a failing test takes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from pathlib import Path

import httpx
import pytest
from jupyter_server.auth.identity import IdentityProvider, User

_ROOT = Path(__file__).resolve().parents[2]
for p in (_ROOT, _ROOT / "server_ext", _ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from support.axis_server import (  # noqa: E402,F401 - fixtures used below
    api, axis_env_restored, axis_state, axis_store_path)

import axis_jupyter  # noqa: E402
from axis_jupyter import errors  # noqa: E402
from axis_jupyter import wire as arrow_ipc  # noqa: E402

# Runs for hours unless interrupted: 10^18 rows through an aggregate.
HEAVY = ("SELECT max(hash(a.range + b.range)) AS h "
         "FROM range(1000000000) a, range(1000000000) b")
GUARD_S = 120  # only bounds a failing wait; no assertion depends on it
EVAL_CSV = "dataset_id,evaluation_name,metric_name,metric_score,explanation\n" + "".join(
    f"c{i},exp_{'ab'[i % 2]},faithfulness,{(i % 10) / 10},{'some explanation text ' * 5}\n"
    for i in range(300))


class TwoUsers(IdentityProvider):
    """alice and bob, each by their own token (token-authenticated: no XSRF); every other
    request authenticates as usual."""

    users = {"alice-token": "alice", "bob-token": "bob"}

    def get_user(self, handler):
        _, _, value = handler.request.headers.get("Authorization", "").partition(" ")
        name = self.users.get(value.strip())
        if name is not None:
            handler._token_authenticated = True
            return User(username=name)
        return super().get_user(handler)


@pytest.fixture
def axis_config(request):
    return {"query_timeout": 300, "max_user_requests": 4, **getattr(request, "param", {})}


@pytest.fixture
def jp_server_config(axis_store_path, axis_config):
    from traitlets.config import Config

    return Config({
        "ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True},
                      "identity_provider_class": TwoUsers},
        "AxisExtension": {"store_path": str(axis_store_path), **axis_config},
    })


@pytest.fixture(autouse=True)
def _restore_axis_env():
    with axis_env_restored():
        yield


@pytest.fixture
def base_http(jp_serverapp, http_server, jp_http_port, jp_base_url):
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def loaded(axis_state, tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text(EVAL_CSV)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(str(p), name="ev", kind="evals")
    return axis_state.store


def client(base_http: str, user: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_http + "axis/api/", timeout=None,
                             headers={"Authorization": f"token {user}-token"})


async def wait_until(predicate, what: str) -> None:
    for _ in range(int(GUARD_S / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def _abandon(tasks, store) -> None:
    """Close the clients' connections mid-request (and, given the store, wait for DuckDB to
    let go of all reads)."""
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if store is not None:
        await wait_until(lambda: store.read_stats["active"] == 0, "the abandoned reads stopped")


# ----------------------------------------------------------------------------- fairness
@pytest.mark.parametrize("axis_config", [{"max_user_requests": 4, "max_user_queue": 2}],
                         indirect=True)
async def test_one_users_heavy_queries_do_not_starve_another_user(base_http, loaded, axis_state):
    async with client(base_http, "alice") as alice, client(base_http, "bob") as bob:
        heavy = [asyncio.create_task(alice.post("query", json={"sql": HEAVY})) for _ in range(10)]
        try:
            # 4 run, 2 wait their turn, and the rest are refused at once with 429.
            refused: list[asyncio.Task] = []
            while len(refused) < 4:
                done, _ = await asyncio.wait([t for t in heavy if t not in refused],
                                             timeout=GUARD_S, return_when=asyncio.FIRST_COMPLETED)
                assert done, "alice's requests over the limit were not refused"
                refused += list(done)
            for t in refused:
                r = t.result()
                assert r.status_code == 429, r.text
                body = r.json()
                assert body["type"] == "too_many_requests"
                assert "AxisExtension.max_user_requests" in body["error"]
            pending = [t for t in heavy if t not in refused]
            assert len(pending) == 6
            stats, slots = loaded.read_stats, axis_state.user_slots
            await wait_until(lambda: stats["active"] == 4, "alice's 4 queries run in DuckDB")
            assert slots.running == {"alice": 4} and len(slots.waiting["alice"]) == 2

            # bob's small analytics request finishes while alice's queries still run.
            small = asyncio.create_task(bob.post("datasets/ev/analytics/summary", json={}))
            done, _ = await asyncio.wait([small, *pending], timeout=GUARD_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            assert done == {small}
            r = small.result()
            assert r.status_code == 200, r.text
            assert r.json()["columns"][0] == "metric_name"
            assert not any(t.done() for t in pending) and stats["active"] == 4

            # When one of alice's queries goes away, a waiting one takes its slot.
            cancelled_before = stats["cancelled"]
            first = next(t for t in pending)
            await _abandon([first], None)
            await wait_until(lambda: stats["cancelled"] == cancelled_before + 1
                             and stats["active"] == 4 and len(slots.waiting["alice"]) == 1,
                             "a waiting query took the freed slot")
        finally:
            await _abandon(heavy, loaded)
    assert slots.running == {} and slots.waiting == {}


# ----------------------------------------------------------------------------- cancellation
@pytest.mark.parametrize("axis_config", [{"max_user_requests": 8}], indirect=True)
async def test_abandoned_queries_are_interrupted(base_http, loaded, axis_state):
    """Eight heavy queries whose clients went away would hold all eight read workers for
    hours; DuckDB interrupts them instead, and the next query runs."""
    stats = loaded.read_stats
    async with client(base_http, "alice") as alice:
        heavy = [asyncio.create_task(alice.post("query", json={"sql": HEAVY})) for _ in range(8)]
        await wait_until(lambda: stats["active"] == 8, "the queries run in DuckDB")
        await _abandon(heavy, None)  # the client goes away mid-request
        r = await asyncio.wait_for(
            alice.post("query", json={"sql": "SELECT count(*) AS n FROM ev"}), GUARD_S)
        assert r.status_code == 200 and r.json()["data"] == [[300]]
    await wait_until(lambda: stats["active"] == 0, "DuckDB stopped the abandoned queries")
    assert stats["cancelled"] == 8
    # each handler gives its slot back in its own ``finally``, just after DuckDB let go
    await wait_until(lambda: axis_state.user_slots.running == {}, "the slots were given back")


async def test_cancelling_a_job_interrupts_its_query(api, loaded, axis_state):
    job = axis_state.jobs.start("probe", lambda job: loaded.sql(HEAVY))
    await wait_until(lambda: job.state == "running", "the job runs")
    r = await api("DELETE", "jobs", job.id)
    assert r.code == 200, r.body[:300]
    await asyncio.wait_for(job.wait(), GUARD_S)
    assert job.state == "cancelled"
    assert loaded.read_stats["active"] == 0


# ----------------------------------------------------------------------------- time limits
@pytest.mark.parametrize("axis_config", [{"query_timeout": 1}], indirect=True)
@pytest.mark.parametrize("arrow", [False, True])
async def test_a_query_past_the_time_limit_is_a_422(api, loaded, arrow):
    headers = {"Accept": arrow_ipc.ARROW_STREAM} if arrow else {}
    r = await api("POST", "query", body={"sql": HEAVY}, headers=headers)
    assert r.code == 422, r.body[:300]
    body = json.loads(r.body)
    assert body["type"] == "query_timeout"
    assert "longer than 1 s" in body["error"]
    assert "AxisExtension.query_timeout" in body["error"]
    assert loaded.read_stats["timed_out"] == 1 and loaded.read_stats["active"] == 0
    r = await api("POST", "query", body={"sql": "SELECT count(*) AS n FROM ev"})
    assert r.code == 200 and json.loads(r.body)["data"] == [[300]]


def test_the_embedded_store_has_a_time_limit_too(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_QUERY_TIMEOUT", "0.5")
    store = axis_jupyter.LocalStore(tmp_path / "e.duckdb")
    try:
        assert store.query_timeout == 0.5
        with pytest.raises(errors.QueryTimeoutError) as err:
            store.sql(HEAVY)
        assert "AXIS_QUERY_TIMEOUT" in str(err.value)
        assert store.read_stats == {"active": 0, "timed_out": 1, "cancelled": 0}
        assert store.sql("SELECT 1 AS x")["x"].tolist() == [1]  # still usable
    finally:
        store.close()


# ----------------------------------------------------------------------------- answer caps
@pytest.mark.parametrize("axis_config", [{"max_result_bytes": 1 << 20}], indirect=True)
async def test_answers_over_the_byte_cap_are_413(api, loaded):
    big = "SELECT range AS i, repeat('x', 200) AS s FROM range(200000)"  # ~40 MB
    r = await api("POST", "query", body={"sql": big}, headers={"Accept": arrow_ipc.ARROW_STREAM})
    assert r.code == 413, r.body[:300]
    body = json.loads(r.body)
    assert body["type"] == "result_too_large"
    assert "1 MiB" in body["error"] and "AxisExtension.max_result_bytes" in body["error"]
    # JSON too (10,000 rows of 1 KB), while a small answer is fine.
    r = await api("POST", "query", body={"sql": big.replace("200)", "1000)")})
    assert r.code == 413, r.body[:300]
    r = await api("POST", "query", body={"sql": "SELECT range AS i FROM range(1000)"},
                  headers={"Accept": arrow_ipc.ARROW_STREAM})
    assert r.code == 200 and arrow_ipc.from_ipc(r.body).num_rows == 1000


@pytest.mark.parametrize("axis_config", [{"max_result_bytes": 20_000}], indirect=True)
async def test_rows_and_analytics_answers_over_the_byte_cap_are_413(api, loaded):
    r = await api("GET", "datasets", "ev", "rows", params={"page_size": "300"})
    assert r.code == 413, r.body[:300]
    r = await api("GET", "datasets", "ev", "rows", params={"page_size": "300"},
                  headers={"Accept": arrow_ipc.ARROW_STREAM})
    assert r.code == 413, r.body[:300]
    r = await api("GET", "datasets", "ev", "rows", params={"page_size": "5"})
    assert r.code == 200 and len(json.loads(r.body)["rows"]) == 5
    r = await api("POST", "datasets", "ev", "analytics", "scatter",
                  body={"x": "faithfulness", "y": "faithfulness"})
    assert r.code == 200, r.body[:300]
    r = await api("POST", "datasets", "ev", "analytics", "distribution", body={"bins": 1000})
    assert r.code == 413, r.body[:300]
    assert json.loads(r.body)["type"] == "result_too_large"


@pytest.mark.parametrize("axis_config", [{"max_result_rows": 1000}], indirect=True)
async def test_arrow_answers_over_the_row_cap_are_413(api, loaded):
    arrow = {"Accept": arrow_ipc.ARROW_STREAM}
    r = await api("POST", "query", body={"sql": "SELECT * FROM range(5000)"}, headers=arrow)
    assert r.code == 413, r.body[:300]
    assert "1,000 rows" in json.loads(r.body)["error"]
    assert "AxisExtension.max_result_rows" in json.loads(r.body)["error"]
    r = await api("POST", "query", body={"sql": "SELECT * FROM range(5000)", "limit": 1000},
                  headers=arrow)
    assert r.code == 200 and arrow_ipc.from_ipc(r.body).num_rows == 1000
    r = await api("GET", "datasets", "ev", "rows", params={"page_size": "5000"}, headers=arrow)
    assert r.code == 413, r.body[:300]
    # JSON answers keep their own cap: the first max_json_rows rows, marked truncated.
    r = await api("POST", "query", body={"sql": "SELECT * FROM range(5000)"})
    assert r.code == 200 and json.loads(r.body)["rows"] == 5000


def test_the_byte_cap_stops_the_stream_early(tmp_path):
    """Only about the cap is fetched from DuckDB, never the whole result."""
    from axis_jupyter.store import budget as budgets

    store = axis_jupyter.LocalStore(tmp_path / "b.duckdb")
    try:
        cap = budgets.ReadBudget(max_bytes=1 << 20)
        with budgets.use(cap), pytest.raises(errors.ResultTooLargeError):
            # 10^12 rows: fetching them all would never end
            store.sql_arrow("SELECT range AS i FROM range(1000000000000)")
    finally:
        store.close()
