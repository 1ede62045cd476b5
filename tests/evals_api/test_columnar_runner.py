"""The columnar heuristic path of score_items gives exactly the rows of the general path."""

from __future__ import annotations

import pandas as pd

from axis_jupyter import evals
from axis_jupyter.evals.runner import ascore_items, rows_to_frame, run_sync

METRICS = ["exact_match", "contains", "levenshtein", "token_f1", "bleu", "rouge_l"]


def test_columnar_rows_equal_general_rows():
    df = pd.DataFrame({
        "dataset_id": [f"i{i}" for i in range(400)],
        "actual_output": ["the cat sat", "", None, "Ünïcode ok, fine!"] * 100,
        "expected_output": ["the cat sat on", "x", "y", None] * 100,
    })
    fast = evals.score_items(df, METRICS, detail=False, thresholds={"token_f1": 0.3})
    general = rows_to_frame(run_sync(ascore_items(df, METRICS, detail=False, thresholds={"token_f1": 0.3})))
    assert fast.shape == general.shape == (2400, len(general.columns))
    assert list(fast.columns) == list(general.columns)
    for col in fast.columns:
        a, b = fast[col], general[col]
        assert ((a == b) | (a.isna() & b.isna())).all(), col
    # Missing fields are failed rows, not zeros.
    failed = fast[fast.metric_score.isna()]
    assert len(failed) and failed.error.str.contains("could not score").all() and failed.passed.isna().all()
