"""axis.evaluate / axis.metrics and %axis eval run on the reference sample."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from axis_jupyter.llm import LLMNotConfigured

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_evaluate_sample_end_to_end(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = store.evaluate(SHARED / "eval_runner_sample.csv", ["exact_match", "token_f1", "rouge_l"], name="run")
    info = ds.info
    assert (info["kind"], info["layout"], info["rows"], info["records"]) == ("evals", "eval_runner", 30, 10)
    rows, _ = ds.rows(filters={"dataset_id": "q010", "metric_name": "token_f1"})
    assert rows["query"].iloc[0] == "Explain how DNS works"
    assert 0 < rows.metric_score.iloc[0] < 1 and rows.run_id.iloc[0]
    summary = ds.summary().set_index("metric_name")
    assert summary.loc["exact_match", "mean"] == 0.0  # paraphrased answers never match exactly
    # The inputs were loaded once, with the unquoted-comma repair.
    assert store.info("run_inputs")["layout"] == "inputs"


def test_llm_metric_without_key_is_refused_up_front(store, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(SHARED / "eval_runner_sample.csv", name="inputs")
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY"):
        store.evaluate("inputs", ["token_f1", "faithfulness"], name="run")
    assert "run" not in set(store.datasets().name)


def test_mapping_overrides_suggestion(store):
    import pandas as pd

    df = pd.DataFrame({"id": ["a", "b"], "question": ["q1", "q2"], "answer_v2": ["x y", "z"], "gold": ["x y", "w"]})
    store.load(df, name="items", kind="evals")
    ds = store.evaluate("items", ["exact_match"], mapping={"actual_output": "answer_v2", "expected_output": "gold"},
                        name="run2")
    s = ds.rows(sort_by="dataset_id")[0]
    assert s.metric_score.tolist() == [1.0, 0.0]


def test_llm_metrics_run_against_loopback_server(store, monkeypatch):
    from support.llm_server import serve_loopback

    with serve_loopback(monkeypatch) as server, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(SHARED / "eval_runner_sample.csv", name="inputs")
        ds = store.evaluate("inputs", ["conciseness"], name="judged", judge=None)
        assert len(server.requests) == 10  # one judge call per item
    assert ds.summary().iloc[0]["count"] == 10
