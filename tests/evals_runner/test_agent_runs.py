"""Runs that call the user's agent, and what a finished run offers: in Python
(``axis.evaluate(agent=...)``, background runs), and over HTTP from a real Jupyter server
(``POST evals/runs`` with an agent, ``evals/agent/test``, exports, re-runs, compare)."""

from __future__ import annotations

import asyncio
import io
import json

import pandas as pd
import pytest

from axis_jupyter.evals.agent_config import AgentConfigError
from axis_jupyter.evals.results import open_run
from axis_jupyter.evals.runs import start_run, wait_run
from runs_helpers import N_ITEMS, body, load_sample
from support.agent_server import LoopbackAgent

CHAT = {"answer_path": "choices.0.message.content",
        "body": {"messages": [{"role": "user", "content": "{{query}}"}]}}


@pytest.fixture
def agent():
    with LoopbackAgent() as srv:
        yield srv


def chat(agent, **extra):
    return {"url": agent.url + "/chat", **CHAT, **extra}


def test_evaluate_fills_outputs_then_scores_and_keeps_warnings(sample_store, agent):
    agent.fail_next(404)  # the first item the agent sees fails for good
    run = sample_store.evaluate("inputs", ["exact_match", "length_constraint", "latency"], name="with_agent",
                                mapping={"actual_output": None}, agent=chat(agent))
    df = run.frame()
    per_item = df.drop_duplicates("dataset_id").set_index("dataset_id")
    failed_id = per_item.index[per_item["agent_error"].notna()].tolist()
    assert len(failed_id) == 1 and per_item.loc[failed_id[0], "agent_error"] == "HTTP 404 from the agent"
    ok = per_item.drop(index=failed_id)
    assert (ok["actual_output"] == "answer: " + ok["query"]).all()      # filled from the agent
    assert (ok["agent_latency_ms"] > 0).all() and (ok["latency"] > 0).all()
    assert len(df) == 3 * N_ITEMS                                        # never an aborted run
    lat = df[(df["metric_name"] == "latency") & df["agent_error"].isna()]
    assert lat["metric_score"].notna().all()                             # scored on the measured latency
    assert run.config["agent"]["url"] == agent.url + "/chat" and run.config["source"] == "inputs"
    # re-run only what failed: one agent call, three scores
    before = len(agent.seen)
    fixed = run.rerun_failed()
    assert len(agent.seen) == before + 1 and fixed.failed().empty
    assert fixed.config["rerun_of"] and fixed.config["_run_id"] != fixed.config["rerun_of"]
    assert len(fixed.frame()) == 3 * N_ITEMS


def test_export_in_every_format_round_trips(sample_store, tmp_path):
    run = sample_store.evaluate("inputs", ["exact_match", "token_f1"], name="exp")
    base = run.frame()
    csv = pd.read_csv(run.export(tmp_path / "r.csv"))
    parquet = pd.read_parquet(run.export(tmp_path / "r.parquet"))
    records = json.loads(run.export(tmp_path / "r.json").read_text())
    lines = [json.loads(x) for x in run.export(tmp_path / "r.jsonl").read_text().splitlines()]
    for got in (csv, parquet, pd.DataFrame(records), pd.DataFrame(lines)):
        assert len(got) == 2 * N_ITEMS and set(base.columns) <= set(got.columns)
        assert sorted(got["metric_score"].round(9)) == sorted(base["metric_score"].round(9))
    with pytest.raises(Exception, match="format must be csv, parquet, json or jsonl"):
        run.export(tmp_path / "r.xlsx")


def test_runs_read_every_row_page_by_page(sample_store, monkeypatch):
    """Inputs and results are read in pages no bigger than a server serves (its rows route
    refuses bigger ones), and no row is lost between pages."""
    from axis_jupyter.evals import api

    monkeypatch.setattr(api, "READ_PAGE", 3)  # N_ITEMS items: several pages
    run = sample_store.evaluate("inputs", ["exact_match", "token_f1"], name="paged")
    frame = run.frame()
    assert len(frame) == 2 * N_ITEMS
    assert frame.groupby("metric_name")["dataset_id"].nunique().tolist() == [N_ITEMS, N_ITEMS]


def test_reopen_and_compare_with_an_earlier_run(sample_store):
    sample_store.evaluate("inputs", ["token_f1"], name="v1", mapping={"actual_output": "expected_output"})
    sample_store.evaluate("inputs", ["token_f1"], name="v2")
    run = sample_store.run("v2")
    assert run.config["metrics"] == ["token_f1"] and set(sample_store.runs()["name"]) == {"v1", "v2"}
    both = run.compare_with("v1")
    res = both.compare("v1", "v2").set_index("metric_name")
    assert res.loc["token_f1", "baseline_mean"] == pytest.approx(1.0)   # v1 scored the reference itself
    assert res.loc["token_f1", "challenger_mean"] < 1.0
    sample_store.load(pd.DataFrame({"query": ["q"], "actual_output": ["a"], "expected_output": ["a"]}), name="other")
    sample_store.evaluate("other", ["token_f1"], name="v3")
    with pytest.raises(Exception, match="only runs of the same dataset compare"):
        run.compare_with("v3")


def test_background_run_with_an_agent_reports_its_stage_and_stats(sample_store, agent):
    agent.delay = 0.05
    run_id = start_run(sample_store, "inputs", ["token_f1"], name="bg", mapping={"actual_output": None},
                       agent=chat(agent), concurrency=4)
    st = wait_run(run_id, timeout=60)
    assert st["state"] == "succeeded", st
    assert st["agent"]["called"] == N_ITEMS and st["agent"]["filled"] == N_ITEMS and st["agent"]["p50_ms"] >= 50
    assert any("agent answered 10 of 10" in line["message"] for line in st["log"])
    assert agent.max_in_flight <= 4
    job = sample_store.jobs.get(run_id)
    stages = [e.data.get("stage") for e in job.events_after(0) if e.event == "progress"]
    assert stages.index("agent") < stages.index("scoring")
    assert job.params["agent"]["url"].endswith("/chat")


def test_bad_agent_settings_are_refused_before_a_job(sample_store, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-not-for-agents")
    with pytest.raises(AgentConfigError, match="names ANTHROPIC_API_KEY"):
        start_run(sample_store, "inputs", ["token_f1"], agent={"url": "http://127.0.0.1:9/",
                                                               "headers_env": {"x-api-key": "ANTHROPIC_API_KEY"}})
    with pytest.raises(AgentConfigError, match="link-local"):
        start_run(sample_store, "inputs", ["token_f1"], agent={"url": "http://169.254.169.254/"})
    assert not sample_store.jobs.list("eval_run")


# -------------------------------------------------------------------------- over HTTP
async def _wait(axis_state, job_id, timeout=60):
    await asyncio.wait_for(axis_state.jobs.get(job_id).wait(), timeout)
    return axis_state.jobs.get(job_id)


async def test_http_run_with_agent_export_rerun_compare(api, axis_state):
    load_sample(axis_state.store)
    with LoopbackAgent() as agent:
        agent.fail_next(500, times=3)   # retries 0: the first three items fail
        r = await api("POST", "evals", "runs", body={
            "source": "inputs", "metrics": ["token_f1", {"key": "length_constraint", "name": "len"}],
            "mapping": {"actual_output": None}, "name": "h_agent", "concurrency": 1,
            "agent": {**chat(agent), "retries": 0}})
        assert r.code == 202, r.body
        job = await _wait(axis_state, body(r)["job"]["id"])
        assert job.state == "succeeded", job.error
        st = body(await api("GET", "evals", "runs", job.id))["status"]
        assert st["agent"]["failed"] == 3 and st["agent"]["filled"] == N_ITEMS - 3
        assert sum("HTTP 500 after 1 attempt" in line["message"] for line in st["log"]) == 3

        # the stored runs, and the results as downloads
        runs = body(await api("GET", "evals", "results"))["runs"]
        assert [x["name"] for x in runs] == ["h_agent"] and runs[0]["agent"] is True
        r = await api("GET", "evals", "results", "h_agent", "export", params={"format": "parquet"})
        assert r.headers["Content-Disposition"] == 'attachment; filename="h_agent.parquet"'
        assert len(pd.read_parquet(io.BytesIO(r.body))) == 2 * N_ITEMS
        r = await api("GET", "evals", "results", "h_agent", "export")
        assert r.headers["Content-Type"].startswith("text/csv") and r.body.count(b"\n") > 2 * N_ITEMS
        r = await api("GET", "evals", "results", "h_agent", "export", params={"format": "xml"})
        assert r.code == 400 and "format" in body(r)["error"]

        # re-run only the failed items
        r = await api("POST", "evals", "results", "h_agent", "rerun", body={})
        assert r.code == 202, r.body
        job = await _wait(axis_state, body(r)["job"]["id"])
        assert job.state == "succeeded" and job.result["errors"] == 0
        assert sum(1 for s in agent.seen) == N_ITEMS + 3

    # compare with an earlier run of the same dataset
    await asyncio.to_thread(axis_state.store.evaluate, "inputs", ["token_f1"], name="h_ref")
    r = await api("POST", "evals", "results", "h_agent", "compare", body={"earlier": "h_ref"})
    assert body(r) == {"dataset": "h_agent_vs_h_ref", "baseline": "h_ref", "challenger": "h_agent"}
    r = await api("POST", "evals", "results", "inputs", "compare", body={"earlier": "h_ref"})
    assert r.code == 400 and "not the result of an evaluation run" in body(r)["error"]


async def test_http_agent_test_connection_runs_on_the_server(api, axis_state, monkeypatch):
    with LoopbackAgent() as agent:
        r = await api("POST", "evals", "agent", "test", body={"agent": chat(agent), "query": "ping"})
        out = body(r)
        assert r.code == 200 and out["ok"] and out["answer"] == "answer: ping"
        assert json.loads(out["raw"])["choices"][0]["message"]["content"] == "answer: ping"
    monkeypatch.setenv("AXIS_SERVER_TOKEN", "server-secret")
    r = await api("POST", "evals", "agent", "test", body={"agent": {
        "url": "http://127.0.0.1:9/", "headers_env": {"Authorization": "AXIS_SERVER_TOKEN"}}})
    assert r.code == 400 and "AXIS_SERVER_TOKEN" in body(r)["error"] and "server-secret" not in r.body.decode()
    r = await api("POST", "evals", "agent", "test", body={"agent": {"url": "http://169.254.169.254/x"}})
    assert r.code == 400 and "link-local" in body(r)["error"]
    r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["token_f1"],
                                                  "provider": "gemini"})
    assert r.code == 400
