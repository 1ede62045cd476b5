"""The copilot over HTTP in a real Jupyter server (base_url /a%40b/): a question is a server
job whose SSE stream carries the thoughts, the tool calls and the answer; follow-ups continue
a conversation; bad input is a 400 naming the parameter."""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest

from support.axis_server import no_llm_key  # noqa: F401  (fixture)
from support.llm_server import Scripted, script, text, tool_use

from .conftest import results_frame


pytestmark = pytest.mark.usefixtures("no_llm_key")


def body(resp) -> dict:
    def bad(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(resp.body, parse_constant=bad)


def sse(raw: bytes) -> list[tuple[str, object]]:
    out = []
    for block in raw.decode().split("\n\n"):
        event = next((l[7:] for l in block.splitlines() if l.startswith("event: ")), None)
        data = "\n".join(l[6:] for l in block.splitlines() if l.startswith("data: "))
        if event and data:
            out.append((event, json.loads(data)))
    return out


def load(axis_state):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(results_frame(20), name="results", kind="evals")


async def finished(axis_state, job_id, timeout=60):
    await asyncio.wait_for(axis_state.jobs.get(job_id).wait(), timeout)
    return axis_state.jobs.get(job_id)


SQL = "SELECT evaluation_name, count(*) AS n FROM results GROUP BY 1 ORDER BY 1"


async def test_question_is_a_job_with_streamed_steps(api, axis_state, monkeypatch):
    from support.llm_server import serve_loopback

    load(axis_state)
    with serve_loopback(monkeypatch) as llm:
        llm.responder = script(
            Scripted([text("Counting rows per experiment."), tool_use("run_sql", {"query": SQL})]),
            Scripted([text("Each experiment has 60 rows.")]),
            Scripted([text("Still 60 each; 3 experiments.")]))
        r = await api("POST", "copilot", body={"question": "how many rows per experiment?"})
        assert r.code == 202, r.body
        started = body(r)
        job_id, conv = started["job"]["id"], started["conversation"]
        assert started["events"].endswith(f"/jobs/{job_id}/events")
        job = await finished(axis_state, job_id)
        assert job.state == "succeeded" and job.kind == "copilot"

        r = await api("GET", "jobs", job_id, "events", request_timeout=30)
        events = sse(r.body)
        names = [e for e, _ in events]
        assert names[0] == "job" and names[-1] == "done" and "result" in names
        thoughts = [d for e, d in events if e == "thought"]
        calls = [t for t in thoughts if t["type"] == "tool_use"]
        assert [c["metadata"]["sql"] for c in calls] == [SQL]
        assert any(t["type"] == "observation" and t["metadata"]["rows"] == 3 for t in thoughts)
        streamed = "".join(d["delta"] for e, d in events if e == "text")
        assert "Each experiment has 60 rows." in streamed

        r = await api("GET", "copilot", job_id)
        answer = body(r)["answer"]
        assert answer["text"] == "Each experiment has 60 rows."
        assert answer["queries"][0]["sql"] == SQL
        assert answer["queries"][0]["preview"] == [["baseline", 60], ["candidate", 60], ["legacy", 60]]
        assert answer["conversation"] == conv

        # a follow-up in the same conversation sends the history along
        r = await api("POST", "copilot", body={"question": "and now?", "conversation": conv})
        assert r.code == 202 and body(r)["conversation"] == conv
        await finished(axis_state, body(r)["job"]["id"])
        sent = llm.requests[-1]["messages"]
        assert sent[0]["content"] == "how many rows per experiment?" and sent[-1]["content"] == "and now?"


async def test_without_a_key_the_answer_is_quick_insights(api, axis_state):
    load(axis_state)
    r = await api("GET", "copilot")
    status = body(r)
    assert r.code == 200 and status["configured"] is False and status["model"] is None
    assert {s["name"] for s in status["skills"]} >= {"compare_experiments", "find_issues"}
    r = await api("POST", "copilot", body={"question": "anything wrong?"})
    assert r.code == 202
    job = await finished(axis_state, body(r)["job"]["id"])
    answer = job.result
    assert answer["mode"] == "rules" and "ANTHROPIC_API_KEY" in answer["text"].splitlines()[0]
    assert answer["queries"][0]["analytic"] == "summary"


@pytest.mark.parametrize("payload,param", [
    ({}, "question"),
    ({"question": ""}, "question"),
    ({"question": 42}, "question"),
    ({"question": "x" * 4001}, "question"),
    ({"question": "hi", "budget": {"tool_calls": 0}}, "budget.tool_calls"),
    ({"question": "hi", "budget": {"steps": 3}}, "budget.steps"),
    ({"question": "hi", "datasets": "results"}, "datasets"),
    ({"question": "hi", "model": "x"}, "model"),
])
async def test_bad_requests_name_the_parameter(api, axis_state, payload, param):
    load(axis_state)
    r = await api("POST", "copilot", body=payload)
    assert r.code == 400, r.body
    err = body(r)
    assert err["type"] == "bad_parameter" and param in err["error"]
    assert "Traceback" not in err["error"]
    assert not axis_state.jobs.list("copilot")


@pytest.mark.parametrize("payload", [
    {"question": "hi", "datasets": ["nope"]},
    {"question": "hi", "conversation": "0123456789abcdef"},
])
async def test_unknown_datasets_and_conversations_are_404(api, axis_state, payload):
    load(axis_state)
    r = await api("POST", "copilot", body=payload)
    assert r.code == 404 and body(r)["type"] == "not_found"
    assert "results" not in body(r)["error"]  # no list of what does exist
    assert not axis_state.jobs.list("copilot")


async def test_answer_of_another_kind_of_job_is_not_found(api, axis_state):
    r = await api("GET", "copilot", "0123456789abcdef")
    assert r.code == 404 and body(r)["type"] == "not_found"


def test_conversations_are_kept_newest_first():
    from axis_jupyter.copilot.conversation import Registry
    from axis_jupyter.errors import NotFoundError

    reg = Registry(size=2)
    a = reg.new("alice")
    assert reg.get(a.id) is a and a.owner == "alice"
    reg.new("x"), reg.new("y")  # the oldest is forgotten past the size
    with pytest.raises(NotFoundError, match="ask without one"):
        reg.get(a.id)
