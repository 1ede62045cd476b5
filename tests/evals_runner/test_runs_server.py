"""Runs in a real Jupyter server (pytest-jupyter, base_url /a%40b/): server jobs listed in
GET jobs with SSE progress, the HTTP API and the runner view's actions on one code path,
and a kernel-side RemoteStore starting runs on the server."""

from __future__ import annotations

import asyncio

import pytest

from axis_jupyter.evals import runs
from runs_helpers import N_ITEMS, body, load_sample


async def _wait(axis_state, job_id, timeout=60):
    await asyncio.wait_for(axis_state.jobs.get(job_id).wait(), timeout)
    return axis_state.jobs.get(job_id)


async def test_start_run_in_the_server_process_is_a_job(api, axis_state):
    load_sample(axis_state.store)
    # no use_job_runner(): the extension opened its store with the server's runner
    run_id = await asyncio.to_thread(runs.start_run, axis_state.store, "inputs",
                                     ["exact_match", "token_f1"], name="r1")
    job = await _wait(axis_state, run_id)
    assert job.kind == "eval_run" and job.state == "succeeded"
    r = await api("GET", "jobs", params={"kind": "eval_run"})
    assert [j["id"] for j in body(r)["jobs"]] == [run_id]
    st = runs.run_status(run_id)
    assert st["executor"] == "job" and st["state"] == "succeeded"
    assert st["done"] == st["total"] == 2 * N_ITEMS and st["dataset"] == "r1"
    # progress events carry running means and end with the full count
    progress = [e.data for e in job.events_after(0) if e.event == "progress" and "means" in e.data]
    assert progress and progress[-1]["done"] == 2 * N_ITEMS
    assert set(progress[-1]["means"]) == {"exact_match", "token_f1"}
    assert progress[-1]["means"]["token_f1"] == pytest.approx(
        next(r["mean"] for r in st["summary"] if r["metric_name"] == "token_f1"))


async def test_http_run_status_and_sse(api, axis_state):
    load_sample(axis_state.store)
    r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["rouge_l"], "name": "h1",
                                                  "mapping": {"retrieved_content": None}})
    assert r.code == 202, r.body
    job_id = body(r)["job"]["id"]
    await _wait(axis_state, job_id)
    r = await api("GET", "evals", "runs", job_id)
    data = body(r)
    assert data["run"]["state"] == "succeeded" and data["run"]["result"]["dataset"] == "h1"
    st = data["status"]
    assert st["state"] == "succeeded" and st["done"] == st["total"] == N_ITEMS
    assert set(st["means"]) == {"rouge_l"} and st["summary"][0]["metric_name"] == "rouge_l"
    assert any("results stored" in line["message"] for line in st["log"])
    # the job's SSE stream replays progress with means and ends with done
    r = await api("GET", "jobs", job_id, "events", headers={"Accept": "text/event-stream"},
                  request_timeout=30)
    text = r.body.decode()
    assert "event: progress" in text and '"means"' in text and text.rstrip().endswith("}")
    assert "event: done" in text
    # retrieved_content was unmapped: not carried into the results
    assert "retrieved_content" not in {c["name"] for c in axis_state.store.info("h1")["columns"]}


async def test_http_refusals_keep_their_codes(api, axis_state):
    load_sample(axis_state.store)
    r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["faithfulness"]})
    assert r.code == 400 and "ANTHROPIC_API_KEY" in body(r)["error"]
    r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["exact_match"],
                                                  "concurrency": True})
    assert r.code == 400
    assert not axis_state.jobs.list("eval_run")


async def test_cancel_over_http_stops_llm_run(api, axis_state, monkeypatch):
    from support.llm_server import serve_loopback

    load_sample(axis_state.store)
    with serve_loopback(monkeypatch, delay=30) as server:
        r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["conciseness"],
                                                      "name": "slow", "concurrency": 3})
        assert r.code == 202, r.body
        job_id = body(r)["job"]["id"]
        for _ in range(1000):
            if server.request_count >= 3:
                break
            await asyncio.sleep(0.02)
        assert server.request_count == 3
        r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["exact_match"],
                                                      "name": "slow"})
        assert r.code == 409
        r = await api("DELETE", "evals", "runs", job_id)
        assert r.code == 200
        job = await _wait(axis_state, job_id, timeout=10)  # far less than one 30 s reply
        assert job.state == "cancelled"
        assert server.request_count == 3
    assert "slow" not in set(axis_state.store.datasets().name)


async def test_runner_view_actions_over_http(api, axis_state):
    load_sample(axis_state.store)
    r = await api("POST", "views", "runner", "setup", body={"source": "inputs"})
    setup = body(r)
    assert r.code == 200 and setup["mapping"]["actual_output"] == "actual_output"
    r = await api("POST", "views", "runner", "start", body={
        "source": "inputs", "metrics": ["exact_match", "bleu"], "mapping": setup["mapping"],
        "name": "viewrun", "concurrency": 4})
    assert r.code == 200, r.body
    run_id = body(r)["run_id"]
    assert axis_state.jobs.get(run_id).kind == "eval_run"  # a server job, like POST evals/runs
    await _wait(axis_state, run_id)
    r = await api("POST", "views", "runner", "status", body={"run_id": run_id})
    st = body(r)
    assert st["state"] == "succeeded" and st["executor"] == "job" and st["dataset"] == "viewrun"
    assert {m["metric_name"] for m in st["summary"]} == {"exact_match", "bleu"}
    # a run started over evals/runs is visible to the view's status action too
    r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["contains"], "name": "c"})
    other = body(r)["job"]["id"]
    await _wait(axis_state, other)
    r = await api("POST", "views", "runner", "status", body={"run_id": other})
    assert body(r)["state"] == "succeeded"
    r = await api("POST", "views", "runner", "cancel", body={"run_id": other})
    assert r.code == 200 and body(r)["state"] == "succeeded"  # finished: cancel is a no-op
    r = await api("POST", "views", "runner", "start", body={
        "source": "inputs", "metrics": ["exact_match"], "mapping": {"query": ""}})
    assert r.code == 400 and "query" in body(r)["error"]


async def test_remote_store_starts_runs_on_the_server(axis_state, http_server, jp_http_port, jp_base_url):
    from axis_jupyter.store.remote import RemoteStore

    load_sample(axis_state.store)
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/"

    def kernel_side():
        remote = RemoteStore(url, axis_state.secret, timeout=30)
        try:
            run_id = runs.start_run(remote, "inputs", ["levenshtein"], name="remote_run")
            return run_id, runs.wait_run(run_id, timeout=60)
        finally:
            remote.close()

    run_id, st = await asyncio.to_thread(kernel_side)
    assert st["executor"] == "server" and st["state"] == "succeeded"
    assert axis_state.jobs.get(run_id).kind == "eval_run"
    assert st["summary"][0]["metric_name"] == "levenshtein" and st["means"]["levenshtein"] is not None


async def test_explicit_job_runner(axis_state):
    load_sample(axis_state.store)
    runs.use_job_runner(axis_state.jobs)
    other = __import__("axis_jupyter").LocalStore(":memory:")
    load_sample(other)
    try:
        run_id = await asyncio.to_thread(runs.start_run, other, "inputs", ["exact_match"], name="x")
        job = await _wait(axis_state, run_id)
        assert job.state == "succeeded" and "x" in set(other.datasets().name)
    finally:
        other.close()
