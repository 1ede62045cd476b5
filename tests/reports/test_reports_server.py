"""Reports over HTTP in a real Jupyter server: a report is a server job streaming its
thoughts and Markdown, downloadable as a .md file; scorecard subtrees by ``node``; no key
means a 400 before any job; issue extraction alone is the ``issues`` analytic."""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest

from support.axis_server import no_llm_key  # noqa: F401  (fixture)

REPORT_MD = "## Overall Health\nWeak on context relevancy (`case_000012`).\n"


pytestmark = pytest.mark.usefixtures("no_llm_key")


def body(resp) -> dict:
    return json.loads(resp.body)


def load(axis_state):
    from axis_jupyter import demo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(demo.eval_results(40), name="tree")


def sse(raw: bytes) -> list[tuple[str, object]]:
    out = []
    for block in raw.decode().split("\n\n"):
        event = next((l[7:] for l in block.splitlines() if l.startswith("event: ")), None)
        data = "\n".join(l[6:] for l in block.splitlines() if l.startswith("data: "))
        if event and data:
            out.append((event, json.loads(data)))
    return out


async def test_report_job_streams_and_downloads(api, axis_state, monkeypatch):
    from support.llm_server import serve_loopback

    load(axis_state)
    with serve_loopback(monkeypatch, responder=lambda request: REPORT_MD) as llm:
        r = await api("GET", "reports")
        assert body(r)["configured"] is True and body(r)["kinds"] == [
            "summary", "detailed", "grouped", "recommendations"]
        r = await api("POST", "reports", body={"dataset": "tree", "kind": "grouped",
                                               "node": "Accuracy", "threshold": 0.7,
                                               "max_issues": 30})
        assert r.code == 202, r.body
        job_id = body(r)["job"]["id"]
        await asyncio.wait_for(axis_state.jobs.get(job_id).wait(), 60)
        job = axis_state.jobs.get(job_id)
        assert job.state == "succeeded", job.error
        report = job.result
        assert report["text"] == REPORT_MD.strip() and report["kind"] == "grouped"
        assert set(report["metrics_covered"]) <= {"Accuracy", "faithfulness", "factual_accuracy"}
        assert report["params"]["metrics"][0] == "Accuracy"
        # the streamed request is the report (the pattern pipeline's calls are not streamed)
        [written] = [q for q in llm.requests if q.get("stream")]
        user = written["messages"][0]["content"]
        assert "Issues found: 30" in user and "## Issue Patterns" in written["system"]

        r = await api("GET", "jobs", job_id, "events", request_timeout=30)
        events = sse(r.body)
        assert [d["id"] for e, d in events if e == "thought"] == [
            "extract-1", "extract-2", "generate-1", "complete-1"]
        assert "".join(d["delta"] for e, d in events if e == "text") == REPORT_MD

        r = await api("GET", "reports", job_id)
        assert body(r)["report"]["stats"]["issues_analyzed"] == 30
        r = await api("GET", "reports", job_id, "markdown")
        assert r.code == 200 and r.headers["Content-Type"].startswith("text/markdown")
        assert 'filename="tree-grouped-report.md"' in r.headers["Content-Disposition"]
        assert r.body.decode().startswith("# Grouped report: tree") and REPORT_MD.strip() in r.body.decode()


async def test_without_a_key_a_report_is_refused_before_any_job(api, axis_state):
    load(axis_state)
    r = await api("POST", "reports", body={"dataset": "tree"})
    assert r.code == 400 and "ANTHROPIC_API_KEY" in body(r)["error"]
    assert not axis_state.jobs.list("report")
    # issue extraction needs no model: it is an analytic
    r = await api("POST", "datasets", "tree", "analytics", "issues",
                  body={"mode": "low", "threshold": 0.6, "max_issues": 7, "sample_rate": 0.5})
    assert r.code == 200, r.body
    got = body(r)
    assert len(got["data"]) == 7 and got["columns"][:3] == ["record_id", "metric_name", "metric_score"]
    want = axis_state.store.analytic("tree", "issues", mode="low", threshold=0.6, max_issues=7,
                                     sample_rate=0.5)
    assert [row[0] for row in got["data"]] == list(want["record_id"])


@pytest.mark.parametrize("payload,param", [
    ({}, "dataset"),
    ({"dataset": "tree", "kind": "poem"}, "kind"),
    ({"dataset": "tree", "mode": "middle"}, "mode"),
    ({"dataset": "tree", "max_issues": 501}, "max_issues"),
    ({"dataset": "tree", "sample_rate": 0}, "sample_rate"),
    ({"dataset": "tree", "fields": ["password"]}, "fields"),
    ({"dataset": "tree", "node": "Nope"}, "node"),
    ({"dataset": "tree", "colour": "red"}, "colour"),
])
async def test_bad_report_requests_name_the_parameter(api, axis_state, payload, param, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")
    load(axis_state)
    r = await api("POST", "reports", body=payload)
    assert r.code == 400, r.body
    assert body(r)["type"] == "bad_parameter" and param in body(r)["error"]
    assert not axis_state.jobs.list("report")


async def test_unknown_dataset_and_job_are_404(api, axis_state, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")
    r = await api("POST", "reports", body={"dataset": "nope"})
    assert r.code == 404
    r = await api("GET", "reports", "0123456789abcdef", "markdown")
    assert r.code == 404 and body(r)["type"] == "not_found"
