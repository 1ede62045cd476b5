"""LLM-judged metrics through the real anthropic client against the loopback server."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from axis_jupyter.evals import ascore_items, create, score_items
from axis_jupyter.evals.judges.rag import Faithfulness
from axis_jupyter.llm import (Judge, JudgeCache, JudgeConfig, JudgeError, LLMNotConfigured, ToolSpec,
                              parse_retry_after, schema_errors)
from tests.support.llm_server import tool_name, user_payload

ITEM = {"dataset_id": "q1", "query": "What is the capital of France?",
        "actual_output": "Paris is the capital. It has 10 million people.",
        "expected_output": "Paris.", "retrieved_content": ["Paris is the capital of France."],
        "acceptance_criteria": ["names Paris", "mentions population"]}

CANNED = {
    "record_claims": {"claims": ["Paris is the capital of France.", "Paris has 10 million people."]},
    "record_faithfulness": {"verdicts": [{"claim_index": 0, "verdict": "supported", "reason": "stated"},
                                         {"claim_index": 1, "verdict": "partial", "reason": "roughly"}]},
    "record_relevancy": {"verdicts": [{"claim_index": 0, "verdict": "yes", "reason": "answers"},
                                      {"claim_index": 1, "verdict": "no", "reason": "not asked"}]},
    "record_facts": {"facts": [{"fact": "Paris is the capital", "supported": True, "reason": "ref"},
                               {"fact": "10 million people", "supported": False, "reason": "not in ref"}]},
    "record_coverage": {"points": [{"point": "names Paris", "addressed": True, "reason": "yes"},
                                   {"point": "mentions population", "addressed": True, "reason": "yes"}]},
    "record_criteria": {"verdicts": [{"criterion_index": 0, "verdict": "met", "reason": "ok"},
                                     {"criterion_index": 1, "verdict": "partial", "reason": "vague"}]},
    "record_conciseness": {"score": 0.8, "redundant_segments": ["It has 10 million people."], "reason": "wordy"},
    "record_tone": {"score": 0.9, "tone_match": True, "style_match": False, "differences": ["longer"],
                    "reason": "close"},
    "record_judgment": {"score": 1, "explanation": "polite and correct"},
}
EXPECTED = {"faithfulness": 0.75, "answer_relevancy": 0.5, "factual_accuracy": 0.5, "completeness": 1.0,
            "criteria": 0.75, "conciseness": 0.8, "tone": 0.9, "custom": 1.0}
JUDGE_METRICS = ["faithfulness", "answer_relevancy", "factual_accuracy", "completeness", "criteria",
                 "conciseness", "tone",
                 {"key": "binary_judge", "name": "custom", "instruction": "Is the answer correct and polite?",
                  "examples": [{"input": {"query": "2+2?", "actual_output": "4"},
                                "output": {"score": 1, "explanation": "right"}}]}]


def canned(request):
    return CANNED[tool_name(request)]


class RecordingSleep:
    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float):
        self.waits.append(seconds)
        await asyncio.sleep(0)


def make_judge(**overrides) -> tuple[Judge, RecordingSleep]:
    sleep = RecordingSleep()
    return Judge(JudgeConfig.from_env(**overrides), sleep=sleep), sleep


SIMPLE_TOOL = ToolSpec("record_judgment", "d", {"type": "object", "properties": {
    "score": {"type": "integer", "enum": [0, 1]}, "explanation": {"type": "string"}},
    "required": ["score", "explanation"]})


# -- every judged metric, end to end ---------------------------------------------------
def test_all_judge_metrics_parse_tool_use(llm_server):
    llm_server.responder = canned
    df = score_items([ITEM], JUDGE_METRICS)
    got = dict(zip(df["metric_name"], df["metric_score"]))
    assert got == pytest.approx(EXPECTED)
    assert df["error"].isna().all()
    assert (df["model_name"] == "claude-sonnet-4-5").all() and (df["llm_provider"] == "anthropic").all()
    row = df.set_index("metric_name").loc["faithfulness"]
    assert row["tokens_in"] == 200 and row["tokens_out"] == 40   # claims + verdicts calls
    assert row["cost_estimate"] == pytest.approx((200 * 3 + 40 * 15) / 1e6)
    signals = json.loads(row["signals"])
    assert [s["value"] for s in signals] == ["supported", "partial"]
    # claim extraction is shared by faithfulness and answer_relevancy: one call, not two
    tools = [tool_name(r) for r in llm_server.requests]
    assert tools.count("record_claims") == 1
    assert len(tools) == 9
    req = next(r for r in llm_server.requests if tool_name(r) == "record_faithfulness")
    assert req["tool_choice"] == {"type": "tool", "name": "record_faithfulness"}
    assert req["temperature"] == 0
    assert user_payload(req)["retrieved_content"] == ITEM["retrieved_content"]
    custom = next(r for r in llm_server.requests if tool_name(r) == "record_judgment")
    assert "Example 1 verdict" in custom["system"]


def test_streaming_mode(llm_server):
    llm_server.responder = canned
    judge, _ = make_judge(stream=True)
    df = score_items([ITEM], ["faithfulness"], judge=judge)
    assert df["metric_score"].iloc[0] == pytest.approx(0.75)
    assert all(r.get("stream") is True for r in llm_server.requests)
    assert judge.usage.tokens_out == 40  # usage read from message_delta


# -- retries -----------------------------------------------------------------------------
def test_429_with_retry_after_is_retried_and_honoured(llm_server):
    llm_server.fail_next(429, retry_after=3)
    llm_server.fail_next(529)  # overloaded: retried with backoff
    judge, sleep = make_judge()
    verdict = asyncio.run(judge.structured(system="s", user="u", tool=SIMPLE_TOOL))
    assert verdict.data["score"] in (0, 1) and verdict.attempts == 3
    assert llm_server.request_count == 3
    assert sleep.waits[0] >= 3.0                 # the server's retry-after, not our backoff
    assert 0 < sleep.waits[1] <= judge.config.backoff_base * 2
    assert judge.usage.retries == 2


def test_500_retried_then_surfaced_as_failed_row(llm_server):
    llm_server.fail_next(500, times=10, message="upstream exploded")
    judge, sleep = make_judge(max_retries=2)
    df = score_items([ITEM], ["conciseness"], judge=judge)
    assert llm_server.request_count == 3
    assert len(sleep.waits) == 2 and sleep.waits[1] > 0
    row = df.iloc[0]
    assert math.isnan(row["metric_score"]) and row["passed"] is None
    assert "HTTP 500" in row["error"] and "upstream exploded" in row["error"]
    assert row["explanation"] == row["error"]


def test_client_errors_are_not_retried(llm_server):
    llm_server.fail_next(400, message="bad schema")
    judge, sleep = make_judge()
    with pytest.raises(JudgeError, match="HTTP 400"):
        asyncio.run(judge.structured(system="s", user="u", tool=SIMPLE_TOOL))
    assert llm_server.request_count == 1 and sleep.waits == []


def test_invalid_tool_output_is_reasked_once(llm_server):
    answers = iter([{"score": 7, "explanation": "x"}, {"score": 1, "explanation": "fixed"}])
    llm_server.responder = lambda req: next(answers)
    judge, _ = make_judge()
    verdict = asyncio.run(judge.structured(system="s", user="u", tool=SIMPLE_TOOL))
    assert verdict.data == {"score": 1, "explanation": "fixed"}
    assert "previous answer was invalid" in llm_server.requests[1]["messages"][0]["content"]
    llm_server.responder = lambda req: {"explanation": "no score"}
    with pytest.raises(JudgeError, match="unusable output"):
        asyncio.run(judge.structured(system="s2", user="u", tool=SIMPLE_TOOL))


def test_batch_verdicts_fall_back_to_single_calls(llm_server):
    def responder(req):
        name = tool_name(req)
        if name == "record_relevancy":  # batch answers only claim 0
            return {"verdicts": [{"claim_index": 0, "verdict": "yes", "reason": "r"}]}
        if name == "record_relevancy_single":
            assert user_payload(req)["claim"] == "Paris has 10 million people."
            return {"verdict": "idk", "reason": "unclear"}
        return CANNED[name]

    llm_server.responder = responder
    df = score_items([ITEM], ["answer_relevancy"])
    assert df["metric_score"].iloc[0] == 1.0  # yes + idk (not penalised) of 2
    assert [tool_name(r) for r in llm_server.requests].count("record_relevancy_single") == 1


# -- cancellation --------------------------------------------------------------------------
def test_slow_reply_can_be_cancelled(llm_server):
    llm_server.delay = 60

    async def main():
        judge, _ = make_judge()
        task = asyncio.create_task(judge.structured(system="s", user="u", tool=SIMPLE_TOOL))
        for _ in range(500):  # bounded wait for the request to reach the server
            if llm_server.request_count:
                break
            await asyncio.sleep(0.01)
        assert llm_server.request_count == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert judge.usage.requests == 0

    asyncio.run(main())


def test_cancelling_a_run_cancels_its_judge_calls(llm_server):
    llm_server.delay = 60

    async def main():
        judge, _ = make_judge()
        task = asyncio.create_task(ascore_items([ITEM, {**ITEM, "dataset_id": "q2", "actual_output": "Paris."}],
                                                ["conciseness"],
                                                judge=judge))
        for _ in range(500):
            if llm_server.request_count >= 2:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert llm_server.request_count == 2


# -- caching -------------------------------------------------------------------------------
def test_second_run_makes_no_requests(llm_server, tmp_path):
    llm_server.responder = canned
    path = tmp_path / "verdicts.sqlite"
    judge, _ = make_judge(cache_path=str(path))
    first = score_items([ITEM], JUDGE_METRICS, judge=judge)
    n = llm_server.request_count
    second = score_items([ITEM], JUDGE_METRICS, judge=judge)
    assert llm_server.request_count == n
    assert list(second["metric_score"]) == list(first["metric_score"])
    assert (second["cost_estimate"] == 0).all()
    # a fresh process (new Judge, same file) is also served from the cache
    judge2, _ = make_judge(cache_path=str(path))
    score_items([ITEM], JUDGE_METRICS, judge=judge2)
    assert llm_server.request_count == n and judge2.usage.cache_hits > 0
    # a different model, item or metric config misses
    judge3, _ = make_judge(cache_path=str(path), model="claude-haiku-4-5")
    score_items([ITEM], ["tone"], judge=judge3)
    assert llm_server.request_count == n + 1
    score_items([{**ITEM, "actual_output": "Paris."}], ["tone"], judge=judge3)
    assert llm_server.request_count == n + 2
    score_items([ITEM], [{"key": "answer_relevancy", "mode": "strict"}], judge=judge3)
    assert llm_server.request_count == n + 4  # claims (new model) + strict relevancy


def test_cache_unit(tmp_path):
    cache = JudgeCache(tmp_path / "c.sqlite")
    cache.put("k", {"data": {"a": 1}})
    assert JudgeCache(tmp_path / "c.sqlite").get("k") == {"data": {"a": 1}}
    cache.clear()
    assert JudgeCache(tmp_path / "c.sqlite").get("k") is None


# -- configuration ----------------------------------------------------------------------
def test_missing_key_fails_before_any_request(llm_server, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(LLMNotConfigured, match="Set ANTHROPIC_API_KEY"):
        score_items([ITEM, ITEM], ["exact_match", "faithfulness"])
    with pytest.raises(LLMNotConfigured, match="Set ANTHROPIC_API_KEY"):
        Judge.from_env()
    assert llm_server.request_count == 0
    # heuristic-only runs need no key
    assert len(score_items([ITEM], ["exact_match"])) == 1


def test_config_from_env_and_repr_hides_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-secret")
    monkeypatch.setenv("AXIS_JUDGE_MODEL", "claude-haiku-4-5")
    cfg = JudgeConfig.from_env()
    assert cfg.model == "claude-haiku-4-5" and cfg.prices() == (1.0, 5.0)
    assert "sk-secret" not in repr(cfg) and "sk-secret" not in repr(Judge(cfg))
    assert JudgeConfig.from_env(model="x-unknown").prices() is None


def test_helpers():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert parse_retry_after({}) is None
    schema = SIMPLE_TOOL.input_schema
    assert schema_errors({"score": 1, "explanation": "x"}, schema) == []
    assert schema_errors({"score": True, "explanation": "x"}, schema)  # bool is not an integer
    assert schema_errors({"score": 1}, schema) == ["$: missing 'explanation'"]


# -- formulas with canned verdicts (no network) --------------------------------------------
def test_formulas_are_deterministic_functions_of_verdicts():
    f = Faithfulness()
    claims = [{"claim": "a", "verdict": "supported", "reason": ""},
              {"claim": "b", "verdict": "no_evidence", "reason": ""},
              {"claim": "c", "verdict": "contradicted", "reason": ""}]
    assert f.formula({"claims": claims}).score == 0.0          # (1 + 0 - 1) / 3 = 0
    assert f.formula({"claims": claims[:2]}).score == 0.5
    assert Faithfulness(strict=True).formula({"claims": claims[:2]}).score == 0.0
    assert f.formula({"claims": []}).score == 1.0
    rel = create("answer_relevancy", penalize_ambiguity=True)
    v = {"claims": [{"claim": "a", "verdict": "yes", "reason": ""}, {"claim": "b", "verdict": "idk", "reason": ""}]}
    assert rel.formula(v).score == 0.5
    assert create("answer_relevancy").formula(v).score == 1.0
    assert create("completeness").formula({"points": []}).score is None
    assert create({"key": "binary_judge", "instruction": "i", "scale": "1-5"}).formula({"score": 3}).score == 0.5
