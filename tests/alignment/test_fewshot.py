"""Few-shot suggestions: balanced, misalignment-guided and pattern-aware."""

from __future__ import annotations

import pytest

from axis_jupyter.alignment.fewshot import examples_for_judge, suggest
from axis_jupyter.errors import ParameterError


def item(i, human, critique=""):
    return {"record_id": f"r{i}", "human": human, "critique": critique,
            "fields": {"query": f"q{i}", "actual_output": f"a{i}"}}


def test_balanced_half_and_half_topped_up_and_seeded():
    pool = [item(i, i % 2) for i in range(10)]
    out = suggest(pool, "balanced", 5)
    scores = [e["score"] for e in out["examples"]]
    assert scores.count(1) == 2 and scores.count(0) == 3 and out["strategy_used"] == "balanced"
    assert suggest(pool, "diverse", 5) == out  # an alias, same seed, same examples
    assert suggest(pool, "balanced", 5, seed=1) != out
    short = suggest([item(1, 1), item(2, 1), item(3, 1), item(4, 0)], "balanced", 4)
    assert sorted(e["score"] for e in short["examples"]) == [0, 1, 1, 1]
    assert out["examples"][0]["reasoning"] in ("Accepted based on human evaluation.",
                                               "Rejected based on human evaluation.")


def test_misalignment_guided_takes_the_judges_errors_with_the_human_label():
    pool = [item(i, 1 if i < 6 else 0, critique=f"why {i}") for i in range(12)]
    run = [{"record_id": f"r{i}", "human": 1 if i < 6 else 0,
            "judge": 0 if i in (1, 2) else (1 if i in (7, 8) or i < 6 else 0),
            "aligned": i not in (1, 2, 7, 8)} for i in range(12)]
    out = suggest(pool, "misalignment", 6, run_records=run)
    whys = [e["why"] for e in out["examples"]]
    assert whys.count("judge too lenient here (false positive)") == 2
    assert whys.count("judge too strict here (false negative)") == 2
    fp = [e for e in out["examples"] if "lenient" in e["why"]]
    assert all(e["score"] == 0 and e["reasoning"].startswith("why") for e in fp)
    assert len({e["record_id"] for e in out["examples"]}) == 6
    with pytest.raises(ParameterError, match="calibration run"):
        suggest(pool, "edge_cases", 4)


def test_pattern_aware_takes_one_record_per_pattern_first():
    texts = ["too verbose, cut it", "verbose and long winded", "far too verbose",
             "wrong refund window", "refund window is wrong", "the refund window quoted is wrong",
             "fine", "ok"]
    pool = [item(i, 0 if i < 6 else 1, critique=t) for i, t in enumerate(texts)]
    out = suggest(pool, "pattern", 4)
    whys = [e["why"] for e in out["examples"]]
    assert out["strategy_used"] == "pattern"
    assert sum(w.startswith("pattern:") for w in whys) == 2 and len(out["examples"]) == 4
    picked = {e["record_id"] for e in out["examples"] if e["why"].startswith("pattern:")}
    assert len(picked & {"r0", "r1", "r2"}) == 1 and len(picked & {"r3", "r4", "r5"}) == 1
    judge_examples = examples_for_judge(out["examples"])
    assert set(judge_examples[0]) == {"record_id", "query", "actual_output", "score", "reasoning"}


def test_bad_strategy_and_count():
    with pytest.raises(ParameterError, match="strategy"):
        suggest([], "random", 4)
    with pytest.raises(ParameterError, match="count"):
        suggest([], "balanced", 11)
