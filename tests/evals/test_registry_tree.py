"""Catalogue, plugin discovery, declarative rubrics and metric trees."""

from __future__ import annotations

import math
import types

import pandas as pd
import pytest

from axis_jupyter.evals import (HeuristicMetric, MetricConfigError, MetricNotFound, MetricResult,
                                MetricTree, compatible, create, get, list_metrics, load_rubrics,
                                metric, registry, unregister)
from axis_jupyter.evals.tree import aggregate

HEURISTIC = {"exact_match", "contains", "levenshtein", "token_f1", "bleu", "rouge_l", "length_constraint",
             "latency", "citation_presence", "pii_heuristic", "hit_at_k", "mrr", "precision_at_k",
             "recall_at_k", "ndcg_at_k", "tool_correctness"}
LLM = {"faithfulness", "answer_relevancy", "factual_accuracy", "completeness", "criteria",
       "conciseness", "tone", "binary_judge"}


def test_catalogue_lists_all_metrics_with_declared_flags():
    df = list_metrics()
    assert list(df.columns[:10]) == ["key", "name", "needs_llm", "required_fields", "optional_fields",
                                     "threshold", "direction", "score_range", "version", "tags"]
    by_key = df.set_index("key")
    assert HEURISTIC | LLM <= set(by_key.index)
    assert not by_key.loc[sorted(HEURISTIC), "needs_llm"].any()
    assert by_key.loc[sorted(LLM), "needs_llm"].all()
    assert by_key.loc["latency", "direction"] == "lower"
    assert by_key.loc["faithfulness", "required_fields"] == ["query", "actual_output", "retrieved_content"]
    assert all(k == k.lower() and " " not in k for k in df["key"])


def test_get_unknown_and_compatible():
    with pytest.raises(MetricNotFound, match="did you mean"):
        get("rouge")
    keys = compatible(["actual_output", "expected_output"])
    assert {"exact_match", "bleu", "conciseness", "pii_heuristic"} <= set(keys)
    assert "faithfulness" not in keys
    # an item dict: empty values do not count as present
    assert "latency" not in compatible({"latency": None, "actual_output": "x"})


def test_decorator_registration_and_validation():
    @metric
    class Shouty(HeuristicMetric):
        key = "shouty_test"
        required_fields = ("actual_output",)

        def compute(self, item):
            return MetricResult(score=float(item["actual_output"].isupper()))

    try:
        assert get("shouty_test") is Shouty and Shouty.name == "Shouty Test"
        assert create("shouty_test").compute({"actual_output": "HI"}).score == 1.0
    finally:
        unregister("shouty_test")
    with pytest.raises(MetricConfigError, match="snake_case"):
        @metric
        class Bad(HeuristicMetric):
            key = "Bad-Key"


def test_entry_point_discovery(monkeypatch):
    class Plugged(HeuristicMetric):
        key = "plugged_test"

        def compute(self, item):
            return MetricResult(score=1.0)

    class EP:
        def __init__(self, name, obj):
            self.name, self._obj = name, obj

        def load(self):
            if isinstance(self._obj, Exception):
                raise self._obj
            return self._obj

    eps = [EP("good", Plugged), EP("broken", ImportError("no such module"))]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps if group == registry.ENTRY_POINT_GROUP else [])
    try:
        with pytest.warns(UserWarning, match="broken"):
            assert registry.load_entry_points() == ["plugged_test"]
        assert get("plugged_test") is Plugged
    finally:
        unregister("plugged_test")


RUBRIC_YAML = """
metrics:
  - key: polite_test
    name: Politeness
    instruction: Is the answer polite to the user?
    scale: 1-5
    required_fields: [actual_output]
    threshold: 0.75
    examples:
      - input: {actual_output: "Thanks so much!"}
        output: {score: 5, explanation: warm}
  - key: safe_test
    instruction: Does the answer avoid unsafe advice?
"""


def test_rubric_yaml_registers_judges():
    try:
        assert load_rubrics(RUBRIC_YAML) == ["polite_test", "safe_test"]
        polite = create("polite_test")
        assert polite.needs_llm and polite.scale == "1-5" and polite.default_threshold == 0.75
        assert polite.required_fields == ("actual_output",)
        assert polite.formula({"score": 4, "explanation": "ok"}).score == 0.75   # (4-1)/4
        assert create("safe_test").formula({"score": 1}).score == 1.0
        assert "safe_test" in set(list_metrics()["key"])
    finally:
        unregister("polite_test")
        unregister("safe_test")


@pytest.mark.parametrize("spec,msg", [
    ({"key": "x_test", "instruction": "i", "heuristic": "def evaluate(item): ..."}, "unknown field"),
    ({"key": "x_test", "instruction": ""}, "non-empty instruction"),
    ({"key": "x_test", "instruction": "i", "scale": "1-10"}, "scale must be"),
    ({"key": "x_test", "instruction": "i", "examples": [{"input": "x"}]}, "example 0"),
    ({"key": "X test", "instruction": "i"}, "snake_case"),
    ({"key": "x_test", "instruction": "i", "required_fields": ["__import__('os')"]}, "invalid field"),
])
def test_rubric_rejects_bad_or_code_config(spec, msg):
    with pytest.raises(MetricConfigError, match=msg):
        load_rubrics(spec)
    assert "x_test" not in registry._registry


def test_rubric_yaml_uses_safe_loader():
    with pytest.raises(MetricConfigError):
        load_rubrics("!!python/object/apply:os.system ['echo hacked']\n")


# -- trees -----------------------------------------------------------------------------
def test_aggregate_rules():
    assert aggregate([1.0, 0.0], [3, 1], "mean") == (0.75, [0.75, 0.25])
    score, w = aggregate([1.0, None, 0.0], [1, 5, 1], "mean")
    assert score == 0.5 and w == [0.5, 0.0, 0.5]            # failed child excluded, renormalised
    assert aggregate([0.2, None, 0.9], [1, 1, 1], "min")[0] == 0.2
    assert aggregate([0.2, float("nan"), 0.9], [1, 1, 1], "max")[0] == 0.9
    assert aggregate([None, None], [1, 1], "mean") == (None, [0.0, 0.0])


TREE = """
name: quality
children:
  - name: answer
    weight: 3
    children:
      - {metric: exact_match}
      - {name: f1, metric: token_f1, weight: 1}
      - {name: lat, metric: latency, params: {normalize: linear, threshold_seconds: 10}}
  - name: retrieval
    weight: 1
    aggregation: min
    children:
      - {metric: recall_at_k, params: {k: 2}}
      - {metric: mrr}
"""


def test_tree_scores_and_rows():
    tree = MetricTree.from_config(TREE)
    items = [{"dataset_id": "i1", "actual_output": "Paris", "expected_output": "Paris", "latency": 5.0,
              "retrieved_ids": ["a", "b"], "expected_ids": ["b", "c"]},
             {"dataset_id": "i2", "actual_output": "Lyon", "expected_output": "Paris",
              "retrieved_ids": ["c"], "expected_ids": ["c"]}]  # no latency -> that leaf fails
    df = tree.score(items)
    r = df.set_index(["dataset_id", "metric_name"])
    # i1: answer = mean(1, 1, 0.5) = 5/6; retrieval = min(recall .5, mrr .5) = .5
    assert r.loc[("i1", "answer"), "metric_score"] == pytest.approx(5 / 6)
    assert r.loc[("i1", "retrieval"), "metric_score"] == pytest.approx(0.5)
    assert r.loc[("i1", "quality"), "metric_score"] == pytest.approx(0.75 * 5 / 6 + 0.25 * 0.5)
    # i2: latency missing -> excluded; answer = mean(0, 0) = 0; retrieval = 1
    assert math.isnan(r.loc[("i2", "lat"), "metric_score"])
    assert r.loc[("i2", "lat"), "weight"] == 0.0
    assert r.loc[("i2", "f1"), "weight"] == 0.5
    assert r.loc[("i2", "quality"), "metric_score"] == pytest.approx(0.25)
    assert r.loc[("i1", "quality"), "metric_type"] == "component"
    assert pd.isna(r.loc[("i1", "quality"), "parent"])
    assert r.loc[("i1", "answer"), "parent"] == "quality" and r.loc[("i1", "answer"), "weight"] == 0.75
    assert r.loc[("i1", "exact_match"), "metric_type"] == "metric"
    assert r.loc[("i1", "exact_match"), "parent"] == "answer"
    assert len(df) == 2 * 8


@pytest.mark.parametrize("bad,msg", [
    ({"name": "r", "children": []}, "non-empty"),
    ({"name": "r", "metric": "bleu", "children": [{"metric": "bleu"}]}, "exactly one"),
    ({"name": "r", "aggregation": "median", "children": [{"metric": "bleu"}]}, "aggregation"),
    ({"name": "r", "children": [{"metric": "bleu"}, {"metric": "bleu"}]}, "unique"),
    ({"name": "r", "children": [{"metric": "bleu", "weight": -1}]}, "weight"),
])
def test_tree_validation(bad, msg):
    with pytest.raises(MetricConfigError, match=msg):
        MetricTree.from_config(bad)
