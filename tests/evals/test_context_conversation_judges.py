"""The contextual, citation and conversation judges, end to end through the real SDKs:
each provider in turn (the loopback Messages API for anthropic, the loopback
Chat-Completions API for openai), checking the score each formula derives from canned
verdicts, the shared relevance step, and the up-front refusal of missing fields."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.evals import MissingFields, describe, list_metrics, score_items
from tests.support import chat_server, llm_server

CHUNKS = ["Paris is the capital of France.", "Bananas are yellow.", "France is in Europe.",
          "The Eiffel Tower is in Paris."]
CONVERSATION = [
    {"role": "user", "content": "I need to change my flight to Friday."},
    {"role": "assistant", "content": "Sure! Which booking reference?"},
    {"role": "user", "content": "ABC123"},
    {"role": "assistant", "content": "Done: you now fly on Friday at 9:00."},
]
ITEM = {"dataset_id": "c1", "query": "What is the capital of France?",
        "actual_output": "Paris is the capital (see https://en.wikipedia.org/wiki/Paris and "
                         "https://example.com/bananas).",
        "expected_output": "Paris is the capital of France. It lies on the Seine.",
        "retrieved_content": json.dumps(CHUNKS), "conversation": json.dumps(CONVERSATION),
        "persona_description": "a friendly, concise airline agent"}

CANNED = {
    # chunk relevance (shared by relevancy, ranking, utilization): 0 and 3 relevant
    "record_chunk_relevance": {"verdicts": [
        {"chunk_index": 0, "relevant": True, "reason": "capital"},
        {"chunk_index": 1, "relevant": False, "reason": "fruit"},
        {"chunk_index": 2, "relevant": False, "reason": "geography"},
        {"chunk_index": 3, "relevant": True, "reason": "Paris"}]},
    "record_chunk_usefulness": {"verdicts": [
        {"chunk_index": 0, "useful": False, "reason": "-"}, {"chunk_index": 1, "useful": True, "reason": "-"},
        {"chunk_index": 2, "useful": False, "reason": "-"}, {"chunk_index": 3, "useful": True, "reason": "-"}]},
    "record_chunk_use": {"verdicts": [{"chunk_index": 0, "used": True, "reason": "stated"},
                                      {"chunk_index": 1, "used": False, "reason": "not mentioned"}]},
    "record_recall": {"statements": [
        {"statement": "Paris is the capital of France.", "supported": True, "reason": "chunk 0"},
        {"statement": "It lies on the Seine.", "supported": False, "reason": "absent"}]},
    "record_sufficiency": {"sufficient": False, "missing": ["the river"], "reason": "no river"},
    "record_citation_relevance": {"verdicts": [{"citation_index": 0, "relevant": True, "reason": "Paris"},
                                               {"citation_index": 1, "relevant": False, "reason": "bananas"}]},
    "record_flow": {"coherence": 1.0, "efficiency": 0.5, "user_experience": 0.5, "loops": 1,
                    "correction_cascades": 0, "coherence_drops": 0, "effort_degradation": False,
                    "issues": ["asked twice"], "reason": "ok"},
    "record_goal": {"primary_goal": "change flight", "sub_goals": [
        {"goal": "identify booking", "completed": True}, {"goal": "rebook", "completed": True},
        {"goal": "confirm fare", "completed": False}, {"goal": "send receipt", "completed": False}],
        "goal_achieved": True, "efficiency": 0.5, "unneeded_clarifications": 1, "reason": "r"},
    "record_efficiency": {"inefficiencies": [{"description": "repeated question", "severity": "high"},
                                             {"description": "detour", "severity": "low"}],
                          "redundancy": 0.1, "optimal_path": 0.5, "reason": "r"},
    "record_persona": {"turns": [{"turn_index": 1, "adherence": 1.0, "note": "friendly"},
                                 {"turn_index": 3, "adherence": 0.5, "note": "curt"}], "reason": "r"},
}
EXPECTED = {
    "contextual_relevancy": 0.5,                      # 2 of 4 chunks relevant
    "contextual_ranking": (1 / 1 + 2 / 4) / 2,        # relevant at ranks 1 and 4
    "contextual_precision": (1 / 2 + 2 / 4) / 2,      # useful at ranks 2 and 4
    "contextual_recall": 0.5,
    "contextual_sufficiency": 0.0,
    "contextual_utilization": 0.5,                    # 1 of the 2 relevant chunks used
    "citation_relevancy": 0.5,
    "conversation_flow": 0.4 * 1 + 0.3 * 0.5 + 0.3 * 0.5 - 0.25,
    "goal_completion": 0.6 * 0.5 + 0.4 * 0.5 - 0.1,
    "conversation_efficiency": 0.6 * (1 - 0.1 - 0.15 - 0.03) + 0.4 * 0.5,
    "persona_tone_adherence": 0.7 * 0.75 + 0.3 * (1 - 4 * 0.0625),
}
NEW = list(EXPECTED)


def _name(provider, request):
    return (llm_server.tool_name if provider == "anthropic" else chat_server.function_name)(request)


def test_every_new_metric_scores_through_each_provider(any_llm):
    provider, server = any_llm
    server.responder = lambda req: CANNED[_name(provider, req)]
    df = score_items([ITEM], NEW)
    got = dict(zip(df["metric_name"], df["metric_score"]))
    assert got == pytest.approx(EXPECTED)
    assert df["error"].isna().all()
    assert set(df["llm_provider"]) == {provider}
    # relevancy, ranking and utilization share one relevance call per item
    calls = [_name(provider, r) for r in server.requests]
    assert calls.count("record_chunk_relevance") == 1
    sig = json.loads(df.set_index("metric_name").loc["contextual_sufficiency", "signals"])
    assert {"group": "missing", "name": "missing_0", "value": "the river", "score": None, "headline": True} in sig


def test_the_judges_see_the_item_as_data(any_llm):
    provider, server = any_llm
    server.responder = lambda req: CANNED[_name(provider, req)]
    score_items([ITEM], ["contextual_utilization", "persona_tone_adherence", "citation_relevancy"])
    payloads = {_name(provider, r): (llm_server if provider == "anthropic" else chat_server).user_payload(r)
                for r in server.requests}
    # utilization asks about the relevant chunks only, in rank order
    assert payloads["record_chunk_use"]["chunks"] == [CHUNKS[0], CHUNKS[3]]
    assert payloads["record_persona"]["persona"] == "a friendly, concise airline agent"
    assert [t["role"] for t in payloads["record_persona"]["conversation"]] == ["user", "assistant"] * 2
    cites = payloads["record_citation_relevance"]["citations"]
    assert cites[0].startswith("https://en.wikipedia.org/wiki/Paris") and len(cites) == 2


def test_a_batch_that_skips_a_chunk_falls_back_to_one_call(any_llm):
    provider, server = any_llm

    def responder(req):
        name = _name(provider, req)
        if name == "record_chunk_relevance":  # the batch forgets chunk 3
            return {"verdicts": CANNED[name]["verdicts"][:3]}
        if name == "record_chunk_relevance_single":
            return {"relevant": True, "reason": "Paris"}
        return CANNED[name]

    server.responder = responder
    df = score_items([ITEM], ["contextual_relevancy"])
    assert df["metric_score"].iloc[0] == 0.5
    assert [_name(provider, r) for r in server.requests].count("record_chunk_relevance_single") == 1


def test_items_without_what_a_metric_needs_are_not_scored_but_named(any_llm):
    provider, server = any_llm
    server.responder = lambda req: CANNED[_name(provider, req)]
    bare = {"dataset_id": "b", "query": "q", "actual_output": "no links here", "retrieved_content": "[]",
            "conversation": json.dumps([{"role": "user", "content": "hi"}])}
    df = score_items([bare], ["contextual_relevancy", "citation_relevancy", "goal_completion"]).set_index("metric_name")
    assert df["metric_score"].isna().all()
    assert df.loc["contextual_relevancy", "error"] == "no retrieved chunks"
    assert df.loc["citation_relevancy", "error"] == "no citations"
    assert df.loc["goal_completion", "error"] == "no assistant turn"
    assert server.requests == []  # nothing to judge: no LLM call


@pytest.mark.parametrize("metric,field", [
    ("contextual_precision", "expected_output"), ("contextual_recall", "retrieved_content"),
    ("conversation_flow", "conversation"), ("contextual_utilization", "actual_output")])
def test_a_missing_required_field_refuses_the_metric_up_front(metric, field, llm_server, tmp_path):
    store = axis_jupyter.connect(str(tmp_path / "s.duckdb"))
    cols = {"dataset_id": ["a", "b"], "query": ["q1", "q2"], "actual_output": ["x", "y"],
            "expected_output": ["e", "f"], "retrieved_content": ['["c"]', '["d"]'],
            "conversation": ['[{"role": "user", "content": "hi"}]'] * 2}
    cols.pop(field)
    store.load(pd.DataFrame(cols), name="inputs")
    with pytest.raises(MissingFields, match=f"{metric}: missing required field.*{field}"):
        store.evaluate("inputs", [metric], name="r")
    assert llm_server.request_count == 0 and "r" not in set(store.datasets()["name"])
    store.close()


def test_every_llm_metric_documents_prompts_schema_and_scoring():
    cat = list_metrics()
    llm = cat[cat["needs_llm"]]["key"].tolist()
    assert set(NEW) <= set(llm)
    for key in llm:
        doc = describe(key)
        assert doc["scoring"] and doc["prompts"], key
        for step in doc["prompts"]:
            assert step["instruction"] and step["output_schema"]["type"] == "object", key
    assert describe("contextual_precision")["required_fields"] == ["query", "expected_output", "retrieved_content"]
    assert describe("exact_match")["prompts"] == [] and describe("exact_match")["scoring"]


def test_the_compatible_filter_follows_the_declared_fields():
    from axis_jupyter.evals import compatible

    ok = compatible(["dataset_id", "query", "retrieved_content"])
    assert {"contextual_relevancy", "contextual_ranking", "contextual_sufficiency"} <= set(ok)
    assert not {"contextual_precision", "contextual_utilization", "conversation_flow"} & set(ok)
    assert {"conversation_flow", "goal_completion", "conversation_efficiency",
            "persona_tone_adherence"} <= set(compatible(["conversation"]))


class _Waits:
    """An injected sleep: records each wait instead of sleeping (no wall-clock in tests)."""

    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_every_new_metric_streamed_through_rate_limits_on_each_provider(any_llm):
    from axis_jupyter.llm.providers import judge_class, judge_config

    provider, server = any_llm
    server.responder = lambda req: CANNED[_name(provider, req)]
    if provider == "anthropic":
        server.fail_next(429, times=3, retry_after=2)
    else:
        server.fail_next(429, times=3, headers={"retry-after": "2"})
    sleep = _Waits()
    judge = judge_class(provider)(judge_config(provider, stream=True), sleep=sleep)
    df = score_items([ITEM], NEW, judge=judge)
    assert dict(zip(df["metric_name"], df["metric_score"])) == pytest.approx(EXPECTED)
    assert df["error"].isna().all()
    answered = [r for r in server.requests if r.get("stream")]
    assert len(answered) == len(server.requests) and len(answered) >= len(NEW)
    # three 429s, each waited out as long as retry-after said (plus under 10% jitter)
    assert judge.usage.retries == 3 and len(sleep.waits) == 3
    assert all(2 <= w <= 2.2 for w in sleep.waits)
