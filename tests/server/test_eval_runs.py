"""Evaluation runs over HTTP: a server job with progress events, results as a dataset."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from axis_helpers import strict_json

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


async def test_eval_run_job_on_reference_sample(api, axis_state, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(SHARED / "eval_runner_sample.csv", name="inputs")
    r = await api("POST", "evals", "runs", body={"source": "inputs", "metrics": ["exact_match", "token_f1"],
                                                  "name": "run1"})
    assert r.code == 202
    job_id = strict_json(r)["job"]["id"]
    job = axis_state.jobs.get(job_id)
    await job.wait()
    r = await api("GET", "evals", "runs", job_id)
    run = strict_json(r)["run"]
    assert run["state"] == "succeeded", run
    assert run["result"]["dataset"] == "run1" and run["result"]["rows"] == 20
    assert run["progress"]["done"] == run["progress"]["total"] == 20
    assert {m["metric_name"] for m in run["result"]["summary"]} == {"exact_match", "token_f1"}
    # The results are an evaluation dataset every view reads.
    r = await api("GET", "datasets", "run1")
    assert strict_json(r)["layout"] == "eval_runner"
    # The event log streamed progress and ended with done.
    events = job.events_after(0)
    kinds = [e.event for e in events]
    assert "progress" in kinds and kinds[-2:] == ["result", "done"]
    done_counts = [e.data.get("done") for e in events if e.event == "progress" and "done" in e.data]
    assert done_counts == sorted(done_counts) and done_counts[-1] == 20


async def test_eval_run_refuses_llm_without_key_and_bad_input(api, axis_state, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    axis_state.store.load(SHARED / "annotation_sample.csv", name="ann")
    r = await api("POST", "evals", "runs", body={"source": "ann", "metrics": ["faithfulness"]})
    assert r.code == 400 and "ANTHROPIC_API_KEY" in strict_json(r)["error"]
    r = await api("POST", "evals", "runs", body={"source": "ann", "metrics": ["nope"]})
    assert r.code == 400 and "unknown metric" in strict_json(r)["error"]
    r = await api("POST", "evals", "runs", body={"source": "ann"})
    assert r.code == 400
    assert not axis_state.jobs.list("eval_run")


async def test_metric_catalogue_and_mapping(api):
    r = await api("GET", "evals", "metrics")
    keys = {m["key"] for m in strict_json(r)["metrics"]}
    assert {"exact_match", "bleu", "rouge_l", "faithfulness"} <= keys
    r = await api("POST", "evals", "mapping", body={"columns": ["id", "Question", "answer", "gold"]})
    assert strict_json(r)["mapping"] == {"dataset_id": "id", "query": "Question", "actual_output": "answer",
                                          "expected_output": "gold"}
