"""Background runs without a Jupyter server: a worker thread with the same status dict."""

from __future__ import annotations

import pytest

from axis_jupyter.errors import ConflictError, NotFoundError, QueryError
from axis_jupyter.evals import MetricNotFound
from axis_jupyter.evals.runs import cancel_run, run_status, start_run, wait_run
from axis_jupyter.llm import LLMNotConfigured
from runs_helpers import N_ITEMS, until

HEURISTIC = ["exact_match", "token_f1", "rouge_l"]


def test_run_finishes_with_status_summary_and_dataset(sample_store):
    run_id = start_run(sample_store, "inputs", HEURISTIC, name="run1")
    st = wait_run(run_id, timeout=60)
    assert st["state"] == "succeeded", st
    assert st["executor"] == "thread" and st["run_id"] == run_id
    assert st["done"] == st["total"] == N_ITEMS * 3 and st["fraction"] == 1.0
    assert st["dataset"] == "run1" and st["records"] == N_ITEMS and st["rows"] == N_ITEMS * 3
    assert st["errors"] == 0 and st["error"] is None and st["llm"] is None
    summary = sample_store.dataset("run1").summary().set_index("metric_name")
    # the running means of the last progress event are the final means
    for row in st["summary"]:
        assert row["mean"] == pytest.approx(summary.loc[row["metric_name"], "mean"])
        assert st["means"][row["metric_name"]] == pytest.approx(row["mean"])
    assert {r["metric_name"] for r in st["summary"]} == set(HEURISTIC)
    assert sample_store.info("run1")["layout"] == "eval_runner"
    assert any("results stored" in line["message"] for line in st["log"])
    assert run_status(run_id)["state"] == "succeeded"


def test_refused_up_front(sample_store):
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY"):
        start_run(sample_store, "inputs", ["token_f1", "faithfulness"], name="llm")
    with pytest.raises(MetricNotFound):
        start_run(sample_store, "inputs", ["no_such_metric"])
    with pytest.raises(QueryError):
        start_run(sample_store, "inputs", [])
    with pytest.raises(QueryError):
        start_run(sample_store, "inputs", ["exact_match"], mapping=["query"])
    with pytest.raises(QueryError):
        start_run(sample_store, "inputs", ["exact_match"], concurrency="many")
    assert "llm" not in set(sample_store.datasets().name)
    with pytest.raises(NotFoundError):
        run_status("0123456789ab")


def test_bad_source_fails_the_run_with_its_message(sample_store):
    run_id = start_run(sample_store, "missing_dataset", ["exact_match"], name="r")
    st = wait_run(run_id, timeout=30)
    assert st["state"] == "failed" and st["error_type"] == "not_found"  # the code, as over HTTP
    assert "missing_dataset" in st["error"]


def test_unmapping_a_required_field_refuses_the_metric_up_front(sample_store):
    from axis_jupyter.evals import MissingFields

    with pytest.raises(MissingFields, match="exact_match: missing required field.*expected_output"):
        start_run(sample_store, "inputs", ["exact_match", "length_constraint"],
                  mapping={"expected_output": ""}, name="unmapped")
    assert not sample_store.jobs.list("eval_run")


def test_a_field_empty_on_some_items_counts_failed_scores(sample_store):
    frame = sample_store.rows("inputs", page=1, page_size=100)[0]
    frame["expected_output"] = frame["expected_output"].astype(object)
    frame.loc[frame.index[:3], "expected_output"] = None  # three items without a reference
    sample_store.load(frame, name="partial")
    run_id = start_run(sample_store, "partial", ["exact_match", "length_constraint"], name="unmapped")
    st = wait_run(run_id, timeout=30)
    assert st["state"] == "succeeded"
    assert st["errors"] == 3 and st["metric_errors"] == {"exact_match": 3}
    assert "expected_output" in st["first_errors"]["exact_match"]
    assert st["means"]["length_constraint"] is not None


def test_cancel_stops_a_slow_llm_run_promptly(sample_store, monkeypatch):
    from support.llm_server import serve_loopback

    with serve_loopback(monkeypatch, delay=30) as server:  # replies would take 30 s each
        run_id = start_run(sample_store, "inputs", ["conciseness"], name="slow", concurrency=2)
        until(lambda: server.request_count >= 2)
        st = run_status(run_id)
        assert st["state"] == "running" and st["done"] == 0 and st["total"] == N_ITEMS
        # a second run with the same results name is refused while this one runs
        with pytest.raises(ConflictError):
            start_run(sample_store, "inputs", ["exact_match"], name="slow")
        cancel_run(run_id)
        st = wait_run(run_id, timeout=10)  # far less than one 30 s reply
        assert st["state"] == "cancelled" and st["cancel_requested"]
        assert server.request_count == 2  # nothing new was sent after the cancel
    assert "slow" not in set(sample_store.datasets().name)
    # the name is free again
    st = wait_run(start_run(sample_store, "inputs", ["exact_match"], name="slow"), timeout=30)
    assert st["state"] == "succeeded"


def test_frame_source_and_thresholds(store):
    import pandas as pd

    df = pd.DataFrame({"id": ["a", "b", "c"], "question": ["q"] * 3, "answer": ["x y", "x", "z"],
                       "gold": ["x y", "x y", "x y"]})
    run_id = start_run(store, df, ["token_f1"], name="framed", thresholds={"token_f1": 0.6})
    st = wait_run(run_id, timeout=30)
    assert st["state"] == "succeeded", st
    row = st["summary"][0]
    assert row["pass_rate"] == pytest.approx(2 / 3)  # 1.0 and 0.667 pass 0.6, 0 does not
    assert store.info("framed_inputs")["rows"] == 3
