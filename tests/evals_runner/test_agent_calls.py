"""Filling outputs from the user's agent: a real HTTP agent on loopback (JSON and text
answers, nested paths, slow replies, 500s, timeouts, 429 with Retry-After), checking the
filled outputs, the measured latencies and the warning on each failed item."""

from __future__ import annotations

import asyncio
import json

import pandas as pd
import pytest

from axis_jupyter.evals import agent as A
from axis_jupyter.evals.agent_config import AgentConfig, AgentConfigError
from support.agent_server import LoopbackAgent

QUERIES = ['what is "2+2"?\nplease', "capital of France", "a\\b {{query}} }", "ünïcödé ✓"]


@pytest.fixture
def agent():
    with LoopbackAgent() as srv:
        yield srv


def items(n=4, outputs=None):
    return pd.DataFrame({"dataset_id": [f"i{k}" for k in range(n)], "query": (QUERIES * 3)[:n],
                         "actual_output": outputs if outputs is not None else [None] * n})


class RecordingSleep:
    def __init__(self):
        self.waits = []

    async def __call__(self, s):
        self.waits.append(s)
        await asyncio.sleep(0)


def fill(frame, cfg, concurrency=4, sleep=None):
    cfg = AgentConfig.parse(cfg)
    caller = A.AgentCaller(cfg, concurrency, sleep=sleep)

    async def go():
        try:
            return await A.afill_outputs(frame, cfg, concurrency=concurrency, caller=caller)
        finally:
            await caller.aclose()

    return asyncio.run(go())


def test_nested_json_path_fills_only_empty_outputs(agent):
    frame = items(outputs=[None, "kept answer", "", None])
    out, stats = fill(frame, {"url": agent.url + "/chat", "answer_path": "choices.0.message.content",
                              "body": {"messages": [{"role": "user", "content": "{{query}}"}], "id": "{{dataset_id}}"}})
    assert out["actual_output"].tolist() == [f"answer: {QUERIES[0]}", "kept answer", f"answer: {QUERIES[2]}",
                                             f"answer: {QUERIES[3]}"]
    assert stats | {"warnings": None, "p50_ms": None, "max_ms": None} == {
        "called": 3, "filled": 3, "failed": 0, "kept": 1, "warnings": None, "p50_ms": None, "max_ms": None}
    # JSON-safe substitution: quotes, newlines, backslashes and braces arrive intact
    sent = [s.body for s in agent.seen]
    assert {b["messages"][0]["content"] for b in sent} == {QUERIES[0], QUERIES[2], QUERIES[3]}
    assert {b["id"] for b in sent} == {"i0", "i2", "i3"}
    assert out.loc[1, "agent_latency_ms"] is None or pd.isna(out.loc[1, "agent_latency_ms"])


@pytest.mark.parametrize("route,path,expect", [
    ("/text", "", "answer: capital of France"),                       # a text reply is the answer
    ("/flat", ".response", "answer: capital of France"),              # the reference's default path
    ("/flat", "$.response", "answer: capital of France"),
    ("/chat", "choices[0].message.content", "answer: capital of France"),
    ("/chat", "usage", '{"total_tokens": 7}'),                         # a non-text value as JSON
])
def test_answers_as_text_and_json_at_any_path(agent, route, path, expect):
    out, stats = fill(items(2).iloc[1:], {"url": agent.url + route, "answer_path": path})
    assert out["actual_output"].tolist() == [expect] and stats["failed"] == 0


def test_slow_replies_are_measured(agent):
    agent.delay = 0.2
    out, stats = fill(items(3), {"url": agent.url + "/flat", "answer_path": "response"}, concurrency=3)
    assert (out["agent_latency_ms"] >= 200).all()
    # seconds, where there was none
    assert ((out["latency"].astype(float) - out["agent_latency_ms"].astype(float) / 1000).abs() < 1e-5).all()
    assert stats["p50_ms"] >= 200
    # a latency the item already had is kept; the measured one is still recorded
    frame = items(1)
    frame["latency"] = [9.5]
    out, _ = fill(frame, {"url": agent.url + "/flat", "answer_path": "response"})
    assert out["latency"].tolist() == [9.5] and out["agent_latency_ms"].iloc[0] >= 200


def test_failures_are_warnings_on_their_items_never_an_aborted_run(agent):
    sleep = RecordingSleep()
    out, stats = fill(items(2), {"url": agent.url + "/status/500", "retries": 2}, sleep=sleep)
    assert out["actual_output"].isna().all()
    assert out["agent_error"].tolist() == ["HTTP 500 after 3 attempt(s)"] * 2
    assert stats["failed"] == 2 and [w["dataset_id"] for w in stats["warnings"]] == ["i0", "i1"]
    assert len(agent.seen) == 6 and len(sleep.waits) == 4
    # a 4xx is not retried; the reply is kept for the message
    agent.seen.clear()
    out, _ = fill(items(1), {"url": agent.url + "/status/404"})
    assert out["agent_error"].tolist() == ["HTTP 404 from the agent"] and len(agent.seen) == 1
    # a path that is not in the reply names where it stopped
    out, _ = fill(items(1), {"url": agent.url + "/chat", "answer_path": "choices.3.message"})
    assert out["agent_error"].iloc[0] == "answer_path choices.3.message: $.choices has 1 item(s), no index 3"


def test_a_500_then_success_is_retried(agent):
    agent.fail_next(500)
    agent.fail_next(502)
    out, stats = fill(items(1), {"url": agent.url + "/flat", "answer_path": "response"}, sleep=RecordingSleep())
    assert out["actual_output"].tolist() == [f"answer: {QUERIES[0]}"] and stats["filled"] == 1
    assert len(agent.seen) == 3


def test_a_429_waits_as_long_as_retry_after_says(agent):
    agent.fail_next(429, headers={"Retry-After": "7"})
    sleep = RecordingSleep()
    out, _ = fill(items(1), {"url": agent.url + "/flat", "answer_path": "response", "retry_after_max": 30}, sleep=sleep)
    assert out["actual_output"].iloc[0].startswith("answer:") and sleep.waits == [7.0]
    agent.fail_next(429, headers={"Retry-After": "500"})  # capped by retry_after_max
    sleep = RecordingSleep()
    fill(items(1), {"url": agent.url + "/flat", "answer_path": "response", "retry_after_max": 2}, sleep=sleep)
    assert sleep.waits == [2.0]


def test_timeouts_become_warnings(agent):
    out, stats = fill(items(2), {"url": agent.url + "/hang", "timeout": 0.3, "retries": 1}, sleep=RecordingSleep())
    assert out["agent_error"].tolist() == ["no reply within 0.3 s after 2 attempt(s)"] * 2
    assert stats["failed"] == 2 and out["actual_output"].isna().all()


def test_the_run_concurrency_limits_calls_in_flight(agent):
    agent.delay = 0.1
    out, _ = fill(items(12), {"url": agent.url + "/text"}, concurrency=3)
    assert out["actual_output"].notna().all()
    assert agent.max_in_flight == 3


def test_headers_come_from_allowed_variables_only(agent, monkeypatch):
    monkeypatch.setenv("AXIS_AGENT_TOKEN", "s3cret")
    monkeypatch.setenv("TEAM_AGENT_KEY", "team")
    cfg = {"url": agent.url + "/text", "headers": {"X-Static": "yes"},
           "headers_env": {"Authorization": "Bearer ${AXIS_AGENT_TOKEN}", "X-Key": "AXIS_AGENT_TOKEN"}}
    fill(items(1), cfg)
    h = agent.seen[0].headers
    assert (h["authorization"], h["x-key"], h["x-static"]) == ("Bearer s3cret", "s3cret", "yes")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AXIS_SERVER_TOKEN", "JUPYTERHUB_API_TOKEN",
                 "PGPASSWORD", "AXIS_SOURCE_PROD_PASSWORD"):
        with pytest.raises(AgentConfigError, match=f"agent.headers_env.Authorization names {name}, a secret"):
            AgentConfig.parse({"url": agent.url, "headers_env": {"Authorization": name}})
    with pytest.raises(AgentConfigError, match="TEAM_AGENT_KEY, which agent headers may not read"):
        AgentConfig.parse({"url": agent.url, "headers_env": {"X": "TEAM_AGENT_KEY"}})
    monkeypatch.setenv("AXIS_AGENT_ENV_ALLOW", "TEAM_*,ANTHROPIC_*")
    AgentConfig.parse({"url": agent.url, "headers_env": {"X": "TEAM_AGENT_KEY"}})
    with pytest.raises(AgentConfigError, match="a secret"):  # never, whatever the allow-list says
        AgentConfig.parse({"url": agent.url, "headers_env": {"X": "ANTHROPIC_API_KEY"}})
    with pytest.raises(AgentConfigError, match="AXIS_AGENT_MISSING is not set"):
        fill(items(1), {"url": agent.url, "headers_env": {"X": "AXIS_AGENT_MISSING"}})


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]:80/x",
                                 "http://metadata.google.internal/computeMetadata/v1/",
                                 "http://[::ffff:169.254.169.254]/", "file:///etc/passwd", "ftp://x/",
                                 "http://user:pw@127.0.0.1/"])
def test_unsafe_urls_are_refused(url):
    with pytest.raises(AgentConfigError, match="agent.url"):
        AgentConfig.parse({"url": url})


def test_settings_are_checked_and_named():
    with pytest.raises(AgentConfigError, match=r"agent.body: unknown placeholder\(s\) \{\{qurey\}\}"):
        AgentConfig.parse({"url": "http://127.0.0.1:9/", "body": {"q": "{{qurey}}"}})
    with pytest.raises(AgentConfigError, match="agent.body must be JSON"):
        AgentConfig.parse({"url": "http://127.0.0.1:9/", "body": '{"q": {{query}}}'})
    with pytest.raises(AgentConfigError, match="agent.timeout must be a number from 0.1 to 600"):
        AgentConfig.parse({"url": "http://127.0.0.1:9/", "timeout": -1})
    with pytest.raises(AgentConfigError, match="agent.colour: unknown setting"):
        AgentConfig.parse({"url": "http://127.0.0.1:9/", "colour": 1})
    # the reference's names work; JSON text bodies are parsed once
    cfg = AgentConfig.parse({"endpoint_url": "http://127.0.0.1:9/", "response_path": ".response",
                             "request_template": '{"message": "{{query}}"}', "headers": {"Authorization": "x"}})
    assert (cfg.url, cfg.answer_path, cfg.body) == ("http://127.0.0.1:9/", ".response", {"message": "{{query}}"})
    assert cfg.public()["headers"] == {"Authorization": "***"}
    assert AgentConfig.parse({"mode": "none"}) is None


def test_test_connection_shows_raw_reply_and_answer(agent):
    out = A.test_connection({"url": agent.url + "/chat", "answer_path": "choices.0.message.content"}, "ping")
    assert out["ok"] and out["status"] == 200 and out["answer"] == "answer: ping"
    assert json.loads(out["raw"])["choices"][0]["message"]["content"] == "answer: ping"
    assert out["request"] == {"query": "ping"} and out["latency_ms"] > 0
    out = A.test_connection({"url": agent.url + "/chat", "answer_path": "data.text"}, "ping")
    assert not out["ok"] and "no key 'data'" in out["error"] and out["raw"].startswith("{")
    agent.fail_next(503)
    out = A.test_connection({"url": agent.url + "/text"})
    assert not out["ok"] and out["status"] == 503  # one call, no retries


def test_prompt_mode_fills_from_an_llm(monkeypatch):
    from support.chat_server import serve_chat

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with serve_chat(monkeypatch, responder=lambda req: "Paris, of course.") as srv:
        out, stats = fill(items(2), {"mode": "prompt", "system_prompt": "Be brief.",
                                     "prompt_template": "Q: {{query}}", "provider": "openai", "model": "gpt-4o-mini"})
        assert out["actual_output"].tolist() == ["Paris, of course."] * 2 and stats["filled"] == 2
        req = srv.requests[0]
        assert req["messages"][0] == {"role": "system", "content": "Be brief."}
        assert req["messages"][1]["content"].startswith("Q: ") and req["model"] == "gpt-4o-mini"
        assert "tools" not in req
