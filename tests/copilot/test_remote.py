"""A kernel's store is the Jupyter server's (RemoteStore): ``axis.ask`` and ``ds.report``
run as server jobs and are followed over HTTP, with the same answers and events."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from support.axis_server import no_llm_key  # noqa: F401  (fixture)
from support.llm_server import Scripted, script, serve_loopback, text, tool_use

from .conftest import results_frame

SQL = "SELECT count(DISTINCT dataset_id) AS cases FROM results"


pytestmark = pytest.mark.usefixtures("no_llm_key")


async def test_ask_and_report_from_a_kernel(axis_state, http_server, jp_http_port, jp_base_url,
                                            monkeypatch):
    from axis_jupyter.workbench import RemoteStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(results_frame(10), name="results", kind="evals")
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}axis/api/"

    def kernel_side():
        remote = RemoteStore(url, axis_state.secret, timeout=30)
        events: list = []
        try:
            first = remote.ask("how many cases?", on_event=lambda e, d: events.append((e, d)))
            second = remote.ask("and per experiment?")
            fresh = remote.ask("start again", new=True)
            report = remote.dataset("results").report(kind="detailed", mode="low", threshold=0.6,
                                                      max_issues=10)
            return first, second, fresh, report, events
        finally:
            remote.close()

    with serve_loopback(monkeypatch) as llm:
        llm.responder = script(
            Scripted([text("Counting."), tool_use("run_sql", {"query": SQL})]),
            Scripted([text("There are 10 cases.")]),
            Scripted([text("10 in each of 3 experiments.")]),
            Scripted([text("A new conversation.")]),
            "## Executive Summary\nLow faithfulness on `case007`.\n")
        first, second, fresh, report, events = await asyncio.to_thread(kernel_side)
        follow_up = llm.requests[2]["messages"]
        fresh_request = llm.requests[3]["messages"]

    assert first.text == "There are 10 cases." and first.queries[0].sql == SQL
    assert first.queries[0].preview == [[10]]
    assert second.text == "10 in each of 3 experiments."
    assert first.conversation == second.conversation != fresh.conversation
    assert follow_up[0]["content"] == "how many cases?" and follow_up[-1]["content"] == "and per experiment?"
    assert len(fresh_request) == 1
    thoughts = [d for e, d in events if e == "thought"]
    assert [t["type"] for t in thoughts if t.get("tool") == "run_sql"] == ["tool_use", "observation"]
    assert report.kind == "detailed" and report.text.startswith("## Executive Summary")
    assert report.issues_analyzed == 10 and [t.id for t in report.thoughts] == [
        "extract-1", "extract-2", "generate-1", "complete-1"]
    jobs = {j.kind for j in axis_state.jobs.list()}
    assert {"copilot", "report"} <= jobs  # they ran in the server
