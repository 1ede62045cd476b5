"""The runner view: action payloads and the widget's kernel round trip (embedded store)."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import NotFoundError
from axis_jupyter.evals.runs import wait_run
from axis_jupyter.notebook.widgets import Runner, call_action, show
from axis_jupyter.payloads.runner import FIELDS
from runs_helpers import N_ITEMS, load_sample


def act(store, action, **params):
    return call_action(store, None, "runner", action, params)


def test_setup_without_and_with_a_source(sample_store):
    p = act(sample_store, "setup")
    assert [d["name"] for d in p["datasets"]] == ["inputs"]
    assert p["source"] is None and p["columns"] == [] and p["mapping"] == {}
    assert [f["field"] for f in p["fields"]] == [f for f, _, _ in FIELDS]
    assert [f["field"] for f in p["fields"] if f["required"]] == ["dataset_id", "query", "actual_output"]
    assert p["llm_configured"] is False and p["defaults"] == {"name": "eval_run", "concurrency": 8}

    p = act(sample_store, "setup", source="inputs")
    assert p["source"] == "inputs"
    assert p["mapping"] == {"dataset_id": "dataset_id", "query": "query", "actual_output": "actual_output",
                            "expected_output": "expected_output", "retrieved_content": "retrieved_content"}
    assert p["preview"]["columns"] == ["dataset_id", "query", "actual_output", "expected_output",
                                       "retrieved_content"]
    assert len(p["preview"]["rows"]) == 3 and p["preview"]["rows"][0][0] == "q001"
    by_key = {m["key"]: m for m in p["metrics"]}
    assert by_key["exact_match"]["compatible"] and not by_key["exact_match"]["needs_llm"]
    assert by_key["faithfulness"]["compatible"] and by_key["faithfulness"]["needs_llm"]
    assert not by_key["tool_correctness"]["compatible"] and not by_key["latency"]["compatible"]
    assert by_key["tool_correctness"]["required_fields"] == ["expected_tools"]
    assert p["defaults"]["name"] == "inputs_eval"
    with pytest.raises(NotFoundError):
        act(sample_store, "setup", source="nope")


def test_start_status_and_errors(sample_store):
    mapping = act(sample_store, "setup", source="inputs")["mapping"]
    out = act(sample_store, "start", source="inputs", metrics=["exact_match", "rouge_l"], mapping=mapping,
              name="v1", concurrency=2)
    assert out["status"]["run_id"] == out["run_id"] and out["status"]["state"] in ("queued", "running")
    wait_run(out["run_id"], timeout=60)
    st = act(sample_store, "status", run_id=out["run_id"])
    assert st["state"] == "succeeded" and st["done"] == st["total"] == 2 * N_ITEMS
    assert [r["metric_name"] for r in st["summary"]] == ["exact_match", "rouge_l"]
    # the results dataset shows up in the picker, with a fresh default name
    p = act(sample_store, "setup", source="inputs")
    assert "v1" in [d["name"] for d in p["datasets"]]
    assert act(sample_store, "cancel", run_id=out["run_id"])["state"] == "succeeded"
    from axis_jupyter.errors import AxisError

    with pytest.raises(AxisError, match="actual_output"):
        act(sample_store, "start", source="inputs", metrics=["exact_match"], mapping={"query": "query"})
    with pytest.raises(AxisError, match="ANTHROPIC_API_KEY"):
        act(sample_store, "start", source="inputs", metrics=["faithfulness"], mapping=mapping)
    with pytest.raises(AxisError, match="at least one metric"):
        act(sample_store, "start", source="inputs", metrics=[], mapping=mapping)


def test_widget_round_trip_and_open_scorecard(sample_store):
    import ipywidgets

    w = Runner("inputs", store=sample_store)
    assert w.view == "runner" and w.transport == "kernel" and w.dataset == "inputs"
    assert w.snapshot["source"] == "inputs" and w.snapshot["mapping"]["query"] == "query"
    # what the front end sends on Start, answered by the widget in the kernel
    reply = w.handle_call({"kind": "axis-call", "id": "c1", "action": "start", "params": {
        "source": "inputs", "metrics": ["token_f1"], "mapping": w.snapshot["mapping"], "name": "wv",
        "concurrency": 4}})
    assert reply["id"] == "c1" and "error" not in reply, reply
    run_id = reply["result"]["run_id"]
    wait_run(run_id, timeout=60)
    reply = w.handle_call({"kind": "axis-call", "id": "c2", "action": "status", "params": {"run_id": run_id}})
    assert reply["result"]["state"] == "succeeded" and reply["result"]["dataset"] == "wv"
    reply = w.handle_call({"kind": "axis-call", "id": "c3", "action": "start", "params": {
        "source": "inputs", "metrics": ["faithfulness"], "mapping": w.snapshot["mapping"]}})
    assert "ANTHROPIC_API_KEY" in reply["error"]
    # "Open scorecard": the front end sets scorecard_request; the scorecard appears in output
    w.scorecard_request = {"dataset": "wv", "n": 1}
    assert w.scorecard is not None and w.scorecard.dataset == "wv"
    assert w.scorecard.snapshot["kpis"]["test_cases"] == N_ITEMS
    (out,) = w.output.outputs
    assert out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] == w.scorecard.model_id
    box = w.container
    assert isinstance(box, ipywidgets.VBox) and list(box.children) == [w, w.output]
    # a bad request shows its message where the scorecard would be
    w.scorecard_request = {"dataset": "nope", "n": 2}
    assert "could not open the scorecard" in w.output.outputs[0]["text"]


def test_python_api_and_magic_factory(sample_store):
    import ipywidgets

    w = Runner(store=sample_store)
    assert w.dataset == "" and w.snapshot["source"] is None
    run_id = w.start(["levenshtein"], source="inputs", name="py")
    assert w.run_id == run_id
    wait_run(run_id, timeout=60)
    assert w.status()["state"] == "succeeded"
    sc = w.open_scorecard()
    assert sc.dataset == "py"
    box = show("runner", sample_store, "inputs")
    assert isinstance(box, ipywidgets.VBox) and isinstance(box.children[0], Runner)
    assert box.children[0].dataset == "inputs"
    from axis_jupyter.errors import QueryError

    with pytest.raises(QueryError):
        show("runner", sample_store, None, metrics="x")
    html = w.static_html()
    assert "AXIS runner" in html


def test_static_html_shows_the_last_summary(store):
    load_sample(store)
    w = Runner("inputs", store=store)
    w.snapshot = {**w.snapshot, "last_status": {"run_id": "r", "state": "succeeded", "dataset": "res",
                                                 "summary": [{"metric_name": "bleu", "mean": 0.25,
                                                              "pass_rate": 0.1}]}}
    html = w.static_html()
    assert "bleu" in html and "0.250" in html and "10.0%" in html and "res" in html


# -- the agent, results out and past runs ------------------------------------------------
def test_agent_test_start_with_agent_export_rerun_and_compare(sample_store):
    import base64
    import io

    import pandas as pd

    from support.agent_server import LoopbackAgent

    with LoopbackAgent() as agent:
        cfg = {"mode": "api", "url": agent.url + "/flat", "answer_path": "response", "retries": 0}
        t = act(sample_store, "test_agent", agent=cfg, query="ping")
        assert t["ok"] and t["answer"] == "answer: ping" and '"response"' in t["raw"]
        agent.fail_next(500)
        mapping = {**act(sample_store, "setup", source="inputs")["mapping"], "actual_output": ""}
        out = act(sample_store, "start", source="inputs", metrics=["token_f1"], mapping=mapping,
                  name="view_agent", agent=cfg, concurrency=1)
        st = wait_run(out["run_id"], timeout=60)
        assert st["state"] == "succeeded" and st["agent"]["failed"] == 1 and st["errors"] == 1

        setup = act(sample_store, "setup", source="inputs")
        assert [r["name"] for r in setup["results"]] == ["view_agent"] and setup["results"][0]["agent"]
        assert setup["providers"] == {"anthropic": False, "openai": False, "azure": False}
        opened = act(sample_store, "open_run", name="view_agent")
        assert opened["failed"] == 1 and opened["config"]["agent"]["url"] == cfg["url"] and opened["earlier"] == []

        f = act(sample_store, "export", name="view_agent", format="parquet")
        assert f["filename"] == "view_agent.parquet" and f["mime"] == "application/vnd.apache.parquet"
        assert len(pd.read_parquet(io.BytesIO(base64.b64decode(f["base64"])))) == N_ITEMS

        rr = act(sample_store, "rerun", name="view_agent")
        st = wait_run(rr["run_id"], timeout=60)
        assert st["state"] == "succeeded" and st["errors"] == 0 and st["dataset"] == "view_agent"
        assert act(sample_store, "open_run", name="view_agent")["failed"] == 0

    sample_store.evaluate("inputs", ["token_f1"], name="view_ref")
    assert act(sample_store, "open_run", name="view_agent")["earlier"] == ["view_ref"]
    cmp = act(sample_store, "compare", name="view_agent", earlier="view_ref")
    assert cmp == {"dataset": "view_agent_vs_view_ref", "baseline": "view_ref", "challenger": "view_agent"}
    with pytest.raises(Exception, match="actual_output.*or connect an agent"):
        act(sample_store, "start", source="inputs", metrics=["token_f1"], mapping={"query": "query"})
