"""LLM-judged runs against the loopback Messages-API server: progress with running means,
usage accounting and the verdict cache (a re-run makes zero new requests)."""

from __future__ import annotations

import pytest

from axis_jupyter.evals import runs
from axis_jupyter.evals.runs import run_status, start_run, wait_run
from runs_helpers import N_ITEMS, until


def test_llm_and_heuristic_metrics_in_one_run(sample_store, monkeypatch):
    from support.llm_server import serve_loopback

    with serve_loopback(monkeypatch, delay=0.2) as server:
        run_id = start_run(sample_store, "inputs", ["conciseness", "token_f1"], name="judged", concurrency=2)
        # mid-run: some judged items done, running means already there
        st = until(lambda: (lambda s: s if 0 < s["done"] < s["total"] and
                            s["means"].get("conciseness") is not None else None)(run_status(run_id)))
        assert st["state"] == "running" and st["total"] == 2 * N_ITEMS
        st = wait_run(run_id, timeout=60)
        assert st["state"] == "succeeded", st
        assert server.request_count == N_ITEMS  # one judge call per item, none for token_f1
    assert st["llm"]["requests"] == N_ITEMS and st["llm"]["cache_hits"] == 0
    assert st["llm"]["tokens_in"] == 100 * N_ITEMS  # the loopback's usage numbers
    assert st["means"]["conciseness"] == pytest.approx(1.0)  # default responder: score 1.0
    rows, _ = sample_store.dataset("judged").rows(filters={"metric_name": "conciseness"}, page_size=100)
    assert len(rows) == N_ITEMS and (rows.model_name == "claude-sonnet-4-5").all()


def test_rerun_is_served_from_the_process_cache(sample_store, monkeypatch):
    from support.llm_server import serve_loopback

    with serve_loopback(monkeypatch) as server:
        first = wait_run(start_run(sample_store, "inputs", ["conciseness"], name="a"), timeout=60)
        assert first["state"] == "succeeded" and server.request_count == N_ITEMS
        second = wait_run(start_run(sample_store, "inputs", ["conciseness"], name="b"), timeout=60)
        assert second["state"] == "succeeded"
        assert server.request_count == N_ITEMS  # zero new requests
        assert second["llm"]["requests"] == 0 and second["llm"]["cache_hits"] == N_ITEMS
        assert second["summary"] == [dict(r) for r in first["summary"]]
        # a different metric on the same items is not a cache hit
        wait_run(start_run(sample_store, "inputs", ["tone"], name="c"), timeout=60)
        assert server.request_count == 2 * N_ITEMS


def test_rerun_in_a_new_process_uses_the_cache_file(sample_store, monkeypatch, tmp_path):
    from support.llm_server import serve_loopback

    monkeypatch.setenv("AXIS_JUDGE_CACHE", str(tmp_path / "judge-cache.sqlite"))
    with serve_loopback(monkeypatch) as server:
        wait_run(start_run(sample_store, "inputs", ["conciseness"], name="a"), timeout=60)
        assert server.request_count == N_ITEMS
        runs._CACHES.clear()  # what a fresh process has: nothing in memory
        st = wait_run(start_run(sample_store, "inputs", ["conciseness"], name="b"), timeout=60)
        assert st["state"] == "succeeded" and server.request_count == N_ITEMS
        assert st["llm"]["cache_hits"] == N_ITEMS


def test_explicit_judge_with_its_own_cache(sample_store, monkeypatch, tmp_path):
    from support.llm_server import serve_loopback

    from axis_jupyter.llm import Judge, JudgeCache, JudgeConfig

    with serve_loopback(monkeypatch) as server:
        cache = JudgeCache(tmp_path / "c.sqlite")
        judge = Judge(JudgeConfig.from_env(max_concurrency=4), cache=cache)
        wait_run(start_run(sample_store, "inputs", ["conciseness"], name="a", judge=judge), timeout=60)
        judge2 = Judge(JudgeConfig.from_env(), cache=JudgeCache(tmp_path / "c.sqlite"))
        st = wait_run(start_run(sample_store, "inputs", ["conciseness"], name="b", judge=judge2), timeout=60)
        assert server.request_count == N_ITEMS and st["llm"]["cache_hits"] == N_ITEMS


def test_judge_failures_are_rows_not_a_failed_run(sample_store, monkeypatch):
    from support.llm_server import serve_loopback

    with serve_loopback(monkeypatch) as server:
        server.fail_next(400, times=1, message="bad request for one item")
        st = wait_run(start_run(sample_store, "inputs", ["conciseness"], name="partly", concurrency=1),
                      timeout=60)
    assert st["state"] == "succeeded"
    assert st["errors"] == 1 and st["metric_errors"] == {"conciseness": 1}
    assert "bad request for one item" in st["first_errors"]["conciseness"]
    assert any(line["level"] == "warning" for line in st["log"])
