"""Pattern discovery: sampling, local clustering, the LLM steps against the loopback
Messages API, validation of learnings, and the refusal without a key."""

from __future__ import annotations

import random
import threading
import time

import pytest

from axis_jupyter import patterns
from axis_jupyter.errors import ParameterError
from axis_jupyter.llm import LLMNotConfigured
from axis_jupyter.patterns.evidence import Note, is_pii_key, metadata_summary, sample, sha_key
from tests.support.llm_server import tool_name, user_payload

THEMES = {
    "verbose": ["Response is too verbose, should be much shorter",
                "way too verbose for a simple request", "too verbose, padded with filler",
                "verbose answer, the point is buried"],
    "halluc": ["hallucinated a citation that does not exist", "hallucinated source, made up",
               "hallucinated statistics in the answer", "the citation is hallucinated"],
    "partial": ["missed the second part of the question", "did not answer the second question",
                "second part of the question ignored", "only half the question answered, second part missing"],
}


def themed_notes(per_theme: int = 4, seed: int = 3) -> tuple[list[dict], dict[str, str]]:
    rng = random.Random(seed)
    notes, theme_of = [], {}
    for theme, texts in THEMES.items():
        for i in range(per_theme):
            rid = f"{theme}_{i}"
            notes.append({"id": rid, "text": texts[i % len(texts)], "metadata": {"score": i % 2}})
            theme_of[rid] = theme
    notes.append({"id": "lonely", "text": "the tone is rude and dismissive"})
    notes.append({"id": "empty", "text": "   "})
    rng.shuffle(notes)
    return notes, theme_of


# ----------------------------------------------------------------------------- evidence
def test_sample_is_the_lowest_sha256_ids_whatever_the_input_order():
    notes = [Note(f"id{i}", f"text {i}") for i in range(120)]
    picked = sample(notes, 50)
    shuffled = notes[:]
    random.Random(1).shuffle(shuffled)
    assert [n.id for n in sample(shuffled, 50)] == [n.id for n in picked]
    expected = sorted((n.id for n in notes), key=sha_key)[:50]
    assert [n.id for n in picked] == expected
    assert len(sample(notes, None)) == 120
    seeded = sample(notes, 50, seed=9)
    assert len(seeded) == 50 and [n.id for n in seeded] == [n.id for n in sample(shuffled, 50, seed=9)]
    assert {n.id for n in seeded} != set(expected)


def test_metadata_summary_leaves_personal_keys_out():
    notes = [Note("a", "x", {"score": 0, "email": "a@b.c", "user_name": "ann", "model_name": "m1"}),
             Note("b", "y", {"score": 0, "email": "d@e.f", "model_name": "m1"}),
             Note("c", "z", {"score": 1, "phone_number": "123", "model_name": "m2"})]
    text = metadata_summary(notes)
    assert "score: 0 (67%), 1 (33%)" in text and "model_name: m1 (67%), m2 (33%)" in text
    assert "@" not in text and "ann" not in text and "123" not in text
    assert is_pii_key("Customer-ID") and is_pii_key("home_address") and not is_pii_key("metric_name")


def test_bad_notes_are_refused_naming_the_note():
    with pytest.raises(ParameterError, match=r"notes\[1\]"):
        patterns.discover([{"id": "a", "text": "x"}, 42])
    with pytest.raises(ParameterError, match="method"):
        patterns.discover([], method="bertopic")
    # bounded integers the one way the engine reads them (text from a form or magic too)
    with pytest.raises(ParameterError, match="recurrence must be an integer") as bad:
        patterns.discover([{"id": "a", "text": "x"}], recurrence="often")
    assert bad.value.param == "recurrence"
    with pytest.raises(ParameterError, match="max_concurrent must be an integer"):
        patterns.discover([{"id": "a", "text": "x"}], max_concurrent=0)
    assert patterns.discover([{"id": "a", "text": "x"}], recurrence="2").metadata[
        "recurrence_threshold"] == 2


# ----------------------------------------------------------------------------- local
def test_local_clustering_finds_the_three_themes_offline():
    notes, theme_of = themed_notes()
    result = patterns.discover(notes, method="local")
    found = [{theme_of[i] for i in c.record_ids} for c in result.clusters]
    assert len(result.clusters) == 3
    assert all(len(themes) == 1 for themes in found)  # no cluster mixes themes
    assert sorted(c.count for c in result.clusters) == [4, 4, 4]
    assert result.uncategorized == ["lonely"]
    assert result.learnings == []
    meta = result.metadata
    assert meta["total_notes"] == 14 and meta["with_text"] == 13 and meta["total_analyzed"] == 13
    assert "ANTHROPIC_API_KEY" in meta["learnings_skipped"] and meta["distilled"] is False
    halluc = next(c for c in result.clusters if "hallucinated" in c.keywords)
    assert halluc.category.startswith("Hallucinated") and 0 < halluc.confidence <= 1
    assert all(len(e) <= 100 for c in result.clusters for e in c.examples)
    # deterministic: the same notes in another order give the same clusters
    again = patterns.discover(list(reversed(notes)), method="local")
    assert [c.record_ids for c in again.clusters] == [c.record_ids for c in result.clusters]


def test_local_edge_cases_zero_one_and_stop_words_only():
    assert patterns.discover([], method="local").clusters == []
    one = patterns.discover([{"id": "a", "text": "too long"}])
    assert one.clusters == [] and one.uncategorized == ["a"]
    stop = patterns.discover([{"id": "a", "text": "the"}, {"id": "b", "text": "and"}])
    assert stop.clusters == [] and sorted(stop.uncategorized) == ["a", "b"]
    dup = patterns.discover([{"id": "a", "text": "verbose"}, {"id": "a", "text": "verbose again"}])
    assert dup.metadata["deduplicated_count"] == 1


def test_recurrence_threshold_drops_small_clusters():
    notes, _ = themed_notes(per_theme=3)
    notes = [n for n in notes if not n["id"].startswith("partial")] + [
        {"id": "p1", "text": "missed the second part of the question"},
        {"id": "p2", "text": "did not answer the second part of the question"}]
    result = patterns.discover(notes, recurrence=3)
    assert all(c.count >= 3 for c in result.clusters)
    assert result.metadata["filtered_count"] == 1
    assert {"p1", "p2"} <= set(result.uncategorized)


# ----------------------------------------------------------------------------- no key
def test_no_key_refuses_the_llm_method_up_front_and_local_still_runs(monkeypatch):
    notes, _ = themed_notes()
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY.*local"):
        patterns.discover(notes, method="llm")
    with pytest.raises(LLMNotConfigured):
        patterns.discover(notes, method="local", distill=True)
    assert len(patterns.discover(notes, method="local").clusters) == 3


# ----------------------------------------------------------------------------- LLM steps
def test_llm_clustering_keeps_only_known_unique_ids(llm_server):
    notes, theme_of = themed_notes()

    def responder(request):
        assert tool_name(request) == "report_patterns"
        ids = [n["id"] for n in user_payload(request)["notes"]]
        by = {}
        for i in ids:
            by.setdefault(theme_of.get(i, "other"), []).append(i)
        return {"patterns": [
            {"category": "Too verbose", "description": "long", "record_ids": by["verbose"] + ["ghost"]},
            {"category": "Hallucinations", "description": "made up", "record_ids": by["halluc"]},
            {"category": "Repeat", "description": "dup", "record_ids": by["halluc"][:1] + ["lonely"]},
            {"category": "Partial", "description": "half", "record_ids": by["partial"][:3]}],
            "uncategorized": ["lonely"]}

    llm_server.responder = responder
    result = patterns.discover(notes, method="llm", distill=False)
    assert [c.category for c in result.clusters] == ["Too verbose", "Hallucinations", "Partial"]
    assert result.clusters[0].record_ids == [i for i in result.clusters[0].record_ids if i != "ghost"]
    assert "ghost" not in result.clusters[0].record_ids
    # the ghost id and the re-used id are repairs; "Repeat" kept one note only: uncategorised
    assert result.metadata["validation_repairs"] == 2
    partial = next(c for c in result.clusters if c.category == "Partial")
    left_out = {f"partial_{i}" for i in range(4)} - set(partial.record_ids)
    assert sorted(result.uncategorized) == sorted({"lonely"} | left_out) and len(left_out) == 1
    assert all(c.method == "llm" for c in result.clusters)
    assert llm_server.request_count == 1
    # the same notes again: answered by the judge's cache within the process? a new judge,
    # so one more request, with the identical prompt
    patterns.discover(notes, method="llm", distill=False)
    assert llm_server.requests[0]["messages"] == llm_server.requests[1]["messages"]


def test_distillation_validates_and_merges_learnings(llm_server):
    notes, _ = themed_notes()

    def responder(request):
        assert tool_name(request) == "record_learnings"
        payload = user_payload(request)
        ids = payload["ids"]
        return {"learnings": [
            {"title": f"{payload['category']}: fix it", "content": "Do the thing.",
             "confidence": 0.9, "supporting_item_ids": ids[:2] + ["not_in_cluster"],
             "recommended_actions": ["add a rule"], "tags": ["  Style Issue ", "style_issue", "x" * 60]},
            {"title": "confident but no action", "content": "c", "confidence": 0.95,
             "supporting_item_ids": ids[:2]},
            {"title": "anecdote", "content": "one note", "confidence": 0.8,
             "supporting_item_ids": ids[:1], "recommended_actions": ["a"]},
            {"title": "weak", "content": "w", "confidence": 0.2, "supporting_item_ids": ids},
            {"title": "weakest", "content": "w", "confidence": 0.1, "supporting_item_ids": ids}]}

    llm_server.responder = responder
    result = patterns.discover(notes, method="local")
    assert result.metadata["distilled"] is True and len(result.clusters) == 3
    assert len(result.learnings) == 9  # top 3 of the 4 valid ones, per cluster
    confidences = [l.confidence for l in result.learnings]
    assert confidences == sorted(confidences, reverse=True)
    assert confidences.count(0.9) == 3 and confidences.count(0.69) == 3 and 0.1 not in confidences
    first = result.learnings[0]
    assert first.tags == ["style_issue"] and "not_in_cluster" not in first.supporting_item_ids
    cluster_of = {c.category: set(c.record_ids) for c in result.clusters}
    assert all(set(l.supporting_item_ids) <= cluster_of[l.category] for l in result.learnings)
    # per cluster: one foreign id + one demotion = 2 repairs; the anecdote is dropped
    assert result.metadata["validation_repairs"] == 6
    assert result.metadata["dropped_learnings"] == 3
    metadata_line = user_payload(llm_server.requests[0]).get("metadata", "")
    assert "score:" in metadata_line


def test_at_most_five_clusters_are_distilled_at_once(llm_server):
    words = ["latency", "citation", "tone", "formatting", "arithmetic", "safety", "privacy",
             "translation"]
    notes = [{"id": f"t{t}_{i}", "text": f"{w} wrong, {w} again"}
             for t, w in enumerate(words) for i in range(3)]
    in_flight, peak, lock = 0, 0, threading.Lock()

    def responder(request):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.3)
        with lock:
            in_flight -= 1
        ids = user_payload(request)["ids"]
        return {"learnings": [{"title": "t", "content": "c", "confidence": 0.5,
                               "supporting_item_ids": ids}]}

    llm_server.responder = responder
    stages = []
    result = patterns.discover(notes, distance_threshold=0.5,
                               on_progress=lambda s, d, t: stages.append((s, d, t)))
    assert len(result.clusters) == 8
    assert llm_server.request_count == 8
    assert 2 <= peak <= 5
    assert ("distill", 8, 8) in stages


def test_normalise_tags():
    assert patterns.normalise_tags([" A  B ", "a_b", "C", 3, "", "x" * 51] + [f"t{i}" for i in range(20)]) == \
        ["a_b", "c"] + [f"t{i}" for i in range(8)]
