"""Calibration over HTTP against the loopback Messages API with the real anthropic client:
a server job with progress, the run saved with its judge version, the metrics equal to an
independent computation, misalignment analysis, optimisation, apply and re-run, history."""

from __future__ import annotations

import json
import re
import warnings

import pytest
from axis_helpers import strict_json
from support.llm_server import serve_loopback, tool_name, user_payload

from axis_jupyter.alignment import agreement

N = 9


def human(i: int) -> int:
    return 1 if i % 2 else 0


def judge_says(i: int, strict: bool) -> int:
    # the first judge accepts everything; the optimised one follows people
    return human(i) if strict else 1


def responder(request):
    name = tool_name(request)
    payload = user_payload(request)
    if name == "record_verdict":
        i = int(re.search(r"\d+", payload["query"]).group())
        strict = "STRICT" in request["system"]
        return {"score": judge_says(i, strict), "reasoning": f"looked at {i}"}
    if name == "report_misalignment":
        fp = [e["id"] for e in payload["false_positives"]]
        return {"summary": "Too lenient on even items.", "recommendations": ["be STRICT"],
                "patterns": [{"pattern_type": "false_positive", "description": "evens",
                              "example_ids": fp + ["not_a_record"]}]}
    if name == "propose_criteria":
        return {"optimized_criteria": "STRICT: reject even items.", "expected_improvement": "+",
                "suggestions": [{"aspect": "evens", "suggestion": "reject", "rationale": "people do"}]}
    raise AssertionError(f"unexpected tool {name}")


@pytest.fixture
def labelled(axis_state, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "owner")
    p = tmp_path / "items.csv"
    p.write_text("dataset_id,query,actual_output\n" + "".join(
        f"r{i},question {i},answer {i}\n" for i in range(1, N + 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(str(p), name="items")
    from axis_jupyter.alignment import Annotations

    ann = Annotations(axis_state.store, "items", annotator="owner")
    for i in range(1, N + 1):
        ann.set(f"r{i}", judgment=human(i), critique=f"note {i}")
    return axis_state


async def run_calibration(api, state, body):
    r = await api("POST", "alignment", "datasets", "items", "calibrations", body=body)
    assert r.code == 202, r.body
    job = state.jobs.get(strict_json(r)["job"]["id"])
    await job.wait()
    assert job.state == "succeeded", job.error
    return job


async def test_calibrate_analyse_optimise_apply(api, labelled, monkeypatch):
    with serve_loopback(monkeypatch, responder) as llm:
        job = await run_calibration(api, labelled, {"judge": {"name": "support"}})
        progress = [e.data for e in job.events_after(0) if e.event == "progress" and "done" in e.data]
        assert progress[-1]["done"] == progress[-1]["total"] == N
        # the same progress as Server-Sent Events, as the view and %axis follow it
        stream = await api("GET", "jobs", job.id, "events", request_timeout=30)
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        sse = []
        for block in stream.body.decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields:
                sse.append((fields["event"], json.loads(fields.get("data", "null"))))
        names = [name for name, _ in sse]
        assert names[0] == "job" and names[-2:] == ["result", "done"]
        dones = [data["done"] for name, data in sse if name == "progress" and "done" in data]
        assert dones == [p["done"] for p in progress] and dones[-1] == N
        run_id = job.result["run_id"]
        run = strict_json(await api("GET", "alignment", "calibrations", run_id))
        assert run["run"]["judge_name"] == "support" and run["run"]["judge_version"] == 1
        humans = [human(i) for i in range(1, N + 1)]
        judged = [judge_says(i, False) for i in range(1, N + 1)]
        assert [r["human"] for r in run["records"]] == humans
        assert [r["judge"] for r in run["records"]] == judged
        expected = agreement(humans, judged).to_dict()
        assert run["metrics"] == expected  # JSON carries the floats exactly
        assert run["metrics"]["verdict"] == "too lenient"
        assert llm.request_count == N
        # the same judge again: every verdict comes from the judge cache? no: a new client
        # per run, but the prompts are identical, so the run is reproducible
        misalignment = strict_json(await api("POST", "alignment", "calibrations", run_id,
                                             "misalignment"))
        fp_ids = [r["record_id"] for r in run["records"] if r["human"] == 0 and r["judge"] == 1]
        assert misalignment["false_positives"] == len(fp_ids) and misalignment["false_negatives"] == 0
        assert misalignment["patterns"][0]["example_ids"] == fp_ids  # the invented id dropped
        assert misalignment["repairs"] == 1
        optimized = strict_json(await api("POST", "alignment", "calibrations", run_id, "optimize"))
        assert optimized["evaluation_criteria"] == "STRICT: reject even items."
        assert optimized["changed"] and "STRICT" in optimized["optimized_prompt"]
        # apply: a new judge version, re-run on the same labels
        v2 = strict_json(await api("POST", "alignment", "judges", body={"judge": {
            **run["judge"], "evaluation_criteria": optimized["evaluation_criteria"]}}))
        assert v2["judge"]["version"] == 2
        job2 = await run_calibration(api, labelled, {"judge": "support@2"})
        run2 = strict_json(await api("GET", "alignment", "calibrations", job2.result["run_id"]))
        assert run2["metrics"]["kappa"] == 1.0 and run2["metrics"]["verdict"] == "aligned"
        history = strict_json(await api("GET", "alignment", "datasets", "items", "calibrations",
                                        "history", params={"judge": "support"}))["history"]
        assert [h["judge_version"] for h in history] == [1, 2]
        assert history[0]["kappa"] == pytest.approx(expected["kappa"]) and history[1]["kappa"] == 1.0
        assert history[1]["evaluation_criteria"] == "STRICT: reject even items."
        # the disagreement queue: the misaligned records of the first run
        queue = strict_json(await api("GET", "alignment", "datasets", "items", "records",
                                      params={"status": "disagreements", "run_id": run_id}))
        assert [r["record_id"] for r in queue["records"]] == fp_ids
        # few-shot, guided by the run's misalignments
        shots = strict_json(await api("POST", "alignment", "datasets", "items", "fewshot",
                                      body={"strategy": "misalignment", "count": 3, "run_id": run_id}))
        assert shots["strategy_used"] == "misalignment"
        assert shots["examples"][0]["record_id"] in fp_ids and shots["examples"][0]["score"] == 0


async def test_a_failing_judge_call_leaves_the_record_out(api, labelled, monkeypatch):
    with serve_loopback(monkeypatch, responder) as llm:
        llm.fail_next(400, message="bad request for one item")
        job = await run_calibration(api, labelled, {"max_concurrent": 1})
        assert job.result["failed"] == 1 and job.result["n"] == N - 1
        logs = [e.data["message"] for e in job.events_after(0) if e.event == "log"]
        assert any("no verdict" in m for m in logs)
