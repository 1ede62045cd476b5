"""Data shared by the summary tests (importable: pytest puts this folder on sys.path): a
small evaluation dataset built to stress the summaries (ties, nulls, bin edges, 0 and 1)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

EXPERIMENTS = ["baseline", "candidate", "tuned"]
ENVIRONMENTS = ["prod", "staging", None]
SOURCES = ["web", "api"]
# metric -> (parent, weight, type): a two-level hierarchy
METRICS = {"quality": (None, 1.0, "category"), "accuracy": ("quality", 2.0, "component"),
           "style": ("quality", 1.0, "component"), "faithfulness": ("accuracy", 1.0, "metric"),
           "relevance": ("accuracy", 1.0, "metric"), "tone": ("style", 1.0, "metric")}
DAY0 = pd.Timestamp("2026-03-01")


def eval_frame(n_cases: int = 60, seed: int = 3) -> pd.DataFrame:
    """One row per (case, experiment, metric): 60 cases x 3 x 6 = 1080 rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for case, exp, metric in itertools.product(range(n_cases), EXPERIMENTS, METRICS):
        parent, weight, mtype = METRICS[metric]
        u = rng.random()
        if u < 0.05:
            score = None
        elif u < 0.25:  # ties and bin edges: the scorecard's 5-bin edges, 0 and 1
            score = float(rng.choice([0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0]))
        else:
            score = float(np.round(rng.beta(2, 1.5), 4))
        rows.append({
            "dataset_id": f"case_{case:03d}", "evaluation_name": exp, "metric_name": metric,
            "metric_score": score, "parent": parent, "weight": weight, "metric_type": mtype,
            "environment": ENVIRONMENTS[case % 3], "source_name": SOURCES[case % 2],
            "timestamp": DAY0 + pd.Timedelta(hours=int(rng.integers(0, 24 * 5))),
            "query": f"question {case}",
        })
    return pd.DataFrame(rows)
