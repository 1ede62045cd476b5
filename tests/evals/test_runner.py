"""The runner: long rows, failures as NaN rows, fast column path, sync use in a loop."""

from __future__ import annotations

import asyncio
import json
import math

import pandas as pd
import pytest

from axis_jupyter.evals import (ROW_COLUMNS, Metric, MetricConfigError, MetricResult, ascore_items,
                                score_items)

ITEMS = [
    {"dataset_id": "a", "actual_output": "Paris", "expected_output": "Paris", "latency": 1.0},
    {"dataset_id": "b", "actual_output": "Lyon is big", "expected_output": "Paris", "latency": 9.0},
    {"dataset_id": "c", "actual_output": "", "expected_output": "Paris"},  # empty output, no latency
]
KEYS = ["exact_match", "token_f1", "bleu", "rouge_l", "levenshtein", "contains", "latency"]


def test_rows_shape_and_values():
    df = score_items(ITEMS, KEYS)
    assert list(df.columns) == ROW_COLUMNS
    assert len(df) == len(ITEMS) * len(KEYS)
    r = df.set_index(["dataset_id", "metric_name"])
    assert r.loc[("a", "exact_match"), "metric_score"] == 1.0
    assert r.loc[("a", "exact_match"), "passed"] == True  # noqa: E712
    assert r.loc[("b", "latency"), "passed"] == False  # noqa: E712  lower is better, 9 s > 5 s
    assert r.loc[("a", "latency"), "threshold"] == 5.0
    # missing/empty fields become NaN rows with a readable error, not an exception
    assert math.isnan(r.loc[("c", "exact_match"), "metric_score"])
    assert "missing required field(s) actual_output" in r.loc[("c", "exact_match"), "error"]
    assert json.loads(r.loc[("b", "token_f1"), "signals"])[0]["group"] == "overlap"
    assert (df["metric_type"] == "metric").all() and (df["source"] == "axis").all()


def test_fast_path_matches_detailed_scores():
    frame = pd.DataFrame(ITEMS)
    slow = score_items(frame, KEYS).set_index(["dataset_id", "metric_name"])["metric_score"]
    fast_df = score_items(frame, KEYS, detail=False)
    fast = fast_df.set_index(["dataset_id", "metric_name"])["metric_score"]
    pd.testing.assert_series_equal(slow.sort_index(), fast.sort_index())
    assert fast_df.loc[fast_df["metric_score"].isna(), "error"].str.contains("could not score").all()
    # a list of dicts takes the same fast path
    assert score_items(ITEMS, KEYS, detail=False)["metric_score"].isna().sum() == slow.isna().sum()


def test_thresholds_names_and_params():
    df = score_items(ITEMS[:2], [{"key": "token_f1", "name": "f1_strict", "threshold": 0.99},
                                 {"key": "exact_match", "casefold": True}],
                     thresholds={"exact_match": 0.2})
    r = df.set_index(["dataset_id", "metric_name"])
    assert r.loc[("a", "f1_strict"), "threshold"] == 0.99
    assert r.loc[("a", "f1_strict"), "metric_key"] == "token_f1"
    assert r.loc[("a", "exact_match"), "threshold"] == 0.2
    with pytest.raises(MetricConfigError, match="unique"):
        score_items(ITEMS, ["bleu", "bleu"])


def test_async_only_user_metric_and_failures_are_rows():
    class Flaky(Metric):
        key = "flaky_test"

        async def score(self, item, ctx):
            if item["dataset_id"] == "b":
                raise RuntimeError("boom")
            return MetricResult(score=0.25, explanation="fine")

    df = score_items(ITEMS, [Flaky()])
    r = df.set_index("dataset_id")
    assert r.loc["a", "metric_score"] == 0.25
    assert math.isnan(r.loc["b", "metric_score"]) and r.loc["b", "error"] == "RuntimeError: boom"


def test_progress_and_ids_default_to_position():
    seen = []
    rows = asyncio.run(ascore_items([{"actual_output": "x", "expected_output": "x"}] * 3, ["exact_match"],
                                    on_progress=lambda done, total: seen.append((done, total))))
    assert [r["dataset_id"] for r in rows] == ["0", "1", "2"]
    assert seen[-1] == (3, 3)


def test_score_items_works_inside_a_running_loop():
    async def notebook_cell():  # Jupyter already runs a loop in the kernel thread
        return score_items(ITEMS[:1], ["exact_match"])

    assert asyncio.run(notebook_cell())["metric_score"].iloc[0] == 1.0
