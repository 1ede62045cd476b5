"""Format, operational, PII, retrieval and tool metrics: hand-checked cases."""

from __future__ import annotations

import math

import pytest

from axis_jupyter.evals import MetricConfigError, create
from axis_jupyter.evals.heuristics.format import find_citations, split_sentences
from axis_jupyter.evals.heuristics.pii import find_pii, ipv4_valid, luhn_valid, ssn_valid


def score(key, item, **params):
    return create(key, **params).compute(item).score


# -- length ------------------------------------------------------------------------------
def test_sentence_splitter_skips_abbreviations_and_initials():
    text = "Dr. Smith met J. R. Jones at 5 p.m. today. It went well! Did it? Yes e.g. this one."
    assert split_sentences(text) == [
        "Dr. Smith met J. R. Jones at 5 p.m. today.", "It went well!", "Did it?", "Yes e.g. this one."]


def test_length_constraint():
    assert score("length_constraint", {"actual_output": "x" * 2800}) == 1.0
    assert score("length_constraint", {"actual_output": "x" * 2801}) == 0.0
    two = {"actual_output": "One sentence. Two sentences."}
    assert score("length_constraint", two, max_sentences=1) == 0.0
    assert score("length_constraint", two, min_sentences=2, max_sentences=3) == 1.0
    res = create("length_constraint", max_chars=5).compute({"actual_output": "too long"})
    assert res.explanation == "8 chars > max 5"


# -- latency -----------------------------------------------------------------------------
def test_latency_raw_and_normalised():
    m = create("latency")
    assert m.compute({"latency": 1.5}).score == 1.5
    assert m.higher_is_better is False and m.passed(4.9) is True and m.passed(5.0) is False
    for how, at_t in [("exp", math.exp(-1)), ("sigmoid", 0.5), ("reciprocal", 0.5)]:
        n = create("latency", normalize=how, threshold_seconds=2.0)
        assert n.compute({"latency": 2.0}).score == pytest.approx(at_t)
        assert n.passed(n.compute({"latency": 1.9}).score) is True
        assert n.passed(n.compute({"latency": 2.1}).score) is False
    lin = create("latency", normalize="linear", threshold_seconds=4)
    assert lin.compute({"latency": 1.0}).score == 0.75
    assert lin.compute({"latency": 9.0}).score == 0.0
    assert lin.passed(0.0) is False and lin.passed(0.75) is True
    with pytest.raises(MetricConfigError):
        create("latency", normalize="cubic")
    assert m.score_columns({"latency": [1.0, None, "x", -1]}, 4) == [1.0, None, None, None]


# -- citations ---------------------------------------------------------------------------
def test_citation_detection():
    text = ("See https://example.org/a. and www.test.com, doi:10.1000/xyz123 and (Smith et al., 2020). "
            "Again https://example.org/a")
    kinds = [k for k, _ in find_citations(text)]
    assert kinds == ["url", "www", "doi", "author_year"]
    assert find_citations("https://example.org/a.")[0][1] == "https://example.org/a"
    assert score("citation_presence", {"actual_output": "no sources here"}) == 0.0
    assert score("citation_presence", {"actual_output": "see https://x.io"}) == 1.0


def test_citation_resource_section_and_conversation():
    body = "Answer https://x.io early.\n\nReferences:\n- https://y.io"
    assert score("citation_presence", {"actual_output": body}, mode="resource_section") == 1.0
    assert score("citation_presence", {"actual_output": "https://x.io\nThe end."},
                 mode="resource_section") == 0.0
    conv = {"messages": [{"role": "user", "content": "hi https://u.io"},
                         {"role": "assistant", "content": "no cite"},
                         {"role": "assistant", "content": "see www.a.com"}]}
    m = create("citation_presence")
    assert m.missing_fields({"conversation": conv}) == []
    assert m.compute({"conversation": conv}).score == 1.0  # user's URL does not count; 2nd reply does


# -- PII ---------------------------------------------------------------------------------
def test_pii_validators():
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert ssn_valid("123-45-6789") and not ssn_valid("000-12-3456") and not ssn_valid("900-12-3456")
    assert not ssn_valid("123-00-4567") and not ssn_valid("123-45-0000")
    assert ipv4_valid("192.168.1.20") and not ipv4_valid("300.1.1.1") and not ipv4_valid("01.2.3.4")


def test_pii_scores():
    assert score("pii_heuristic", {"actual_output": "The weather is nice."}) == 1.0
    # email: severity .7 x confidence .95
    assert score("pii_heuristic", {"actual_output": "write to ann@example.com"}) == pytest.approx(1 - .665)
    # valid card (1.0 x .85) + valid SSN (1.0 x .95) -> penalty capped at 1
    assert score("pii_heuristic", {"actual_output": "card 4111 1111 1111 1111 ssn 123-45-6789"}) == 0.0
    # Luhn-invalid digits and an invalid SSN fall below the confidence floor
    assert score("pii_heuristic", {"actual_output": "order 4111 1111 1111 1112 ref 000-12-3456"}) == 1.0
    # IP .3 x .7; an out-of-range "IP" (a version string) does not count
    assert score("pii_heuristic", {"actual_output": "host 10.0.0.7"}) == pytest.approx(1 - .21)
    assert score("pii_heuristic", {"actual_output": "version 1.2.300.4"}) == 1.0
    res = create("pii_heuristic").compute({"actual_output": "call (555) 123-4567 or my name is John Smith"})
    kinds = {s.name for s in res.signals}
    assert kinds == {"phone", "name"}
    assert all("123-4567" not in str(s.value) for s in res.signals)  # masked in signals
    assert res.score == pytest.approx(1 - (.7 * .9 + .5 * .7))


def test_pii_overlap_keeps_higher_confidence():
    hits = find_pii("ssn 123-45-6789", 0.0)
    assert [h["kind"] for h in hits] == ["ssn"]


# -- retrieval ---------------------------------------------------------------------------
ITEM = {"retrieved_ids": ["d3", "d1", "d7", "d2", "d9"],
        "expected_ids": [{"id": "d1", "relevance": 3}, {"id": "d2", "relevance": 1}, {"id": "d5", "relevance": 2}]}


def test_ir_metrics_hand_checked():
    assert score("hit_at_k", ITEM, k=1) == 0.0
    assert score("hit_at_k", ITEM, k=2) == 1.0
    assert score("mrr", ITEM) == 0.5
    assert score("precision_at_k", ITEM, k=2) == 0.5
    assert score("precision_at_k", ITEM, k=5) == pytest.approx(2 / 5)
    assert score("recall_at_k", ITEM, k=5) == pytest.approx(2 / 3)
    assert score("recall_at_k", {"retrieved_ids": ["a"], "expected_ids": []}) == 1.0
    # DCG@5 = 3/log2(3) + 1/log2(5); IDCG@5 = 3/log2(2) + 2/log2(3) + 1/log2(4)
    dcg = 3 / math.log2(3) + 1 / math.log2(5)
    idcg = 3 + 2 / math.log2(3) + 1 / 2
    assert score("ndcg_at_k", ITEM, k=5) == pytest.approx(dcg / idcg)
    assert score("ndcg_at_k", {"retrieved_ids": ["x"], "expected_ids": ["y"]}) == 0.0


def test_ir_multiple_k_and_formats():
    res = create("recall_at_k", k=[1, 3, 5]).compute(ITEM)
    assert [(s.name, s.value) for s in res.signals] == [("@1", 0.0), ("@3", pytest.approx(1 / 3)),
                                                        ("@5", pytest.approx(2 / 3))]
    assert res.score == pytest.approx(2 / 3)  # main_k defaults to the largest k
    assert create("recall_at_k", k=[1, 3], main_k=1).compute(ITEM).score == 0.0
    assert score("mrr", {"retrieved_ids": '["a", "b"]', "expected_ids": {"b": 1}}) == 0.5
    assert score("precision_at_k", {"retrieved_ids": [], "expected_ids": ["a"]}) == 0.0
    with pytest.raises(MetricConfigError):
        create("hit_at_k", k=0)


# -- tools -------------------------------------------------------------------------------
CALLED = [{"name": "search", "args": {"q": "paris weather", "n": 5}}, {"name": "book", "args": {}},
          {"name": "email", "args": {"to": "a@b.c"}}]


def test_tool_correctness_names_flexible_f1():
    item = {"tools_called": CALLED, "expected_tools": ["search", "email", "translate"]}
    # matched 2; recall 2/3, precision 2/3 -> F1 2/3
    assert score("tool_correctness", item) == pytest.approx(2 / 3)
    assert score("tool_correctness", item, scoring="recall") == pytest.approx(2 / 3)
    item2 = {"tools_called": CALLED, "expected_tools": ["search"]}
    assert score("tool_correctness", item2, scoring="precision") == pytest.approx(1 / 3)
    assert score("tool_correctness", item2, scoring="recall") == 1.0
    assert score("tool_correctness", item2) == pytest.approx(0.5)


def test_tool_correctness_strict_order_and_args():
    exp = [{"name": "search", "args": {"q": "paris weather"}}, {"name": "book"}]
    assert score("tool_correctness", {"tools_called": CALLED[:2], "expected_tools": exp}, order="strict") == 1.0
    assert score("tool_correctness", {"tools_called": CALLED[1::-1], "expected_tools": exp}, order="strict") == 0.0
    item = {"tools_called": CALLED[:2], "expected_tools": exp}
    assert score("tool_correctness", item, check_args="exact", scoring="recall") == 0.5   # n=5 extra
    assert score("tool_correctness", item, check_args="subset", scoring="recall") == 1.0
    fuzzy = {"tools_called": [{"name": "search", "args": {"q": "Paris weather!"}}],
             "expected_tools": [{"name": "search", "args": {"q": "paris weather"}}]}
    assert score("tool_correctness", fuzzy, check_args="fuzzy") == 1.0
    assert score("tool_correctness", fuzzy, check_args="exact") == 0.0


def test_tool_correctness_edge_cases():
    assert score("tool_correctness", {"tools_called": [], "expected_tools": []}) == 1.0
    assert score("tool_correctness", {"tools_called": ["x"], "expected_tools": []}) == 0.0
    assert score("tool_correctness", {"tools_called": '[{"name": "x", "arguments": "{}"}]',
                                      "expected_tools": '["x"]'}) == 1.0
    assert score("tool_correctness", {"tools_called": None, "expected_tools": ["x"]}) == 0.0
