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


MONITOR_SOURCES = ["Atlas", "Nova", "Orion"]
MONITOR_DAY0 = pd.Timestamp("2026-04-01")


def _scores(metric: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Scores built to break fine bins: a spike on a bin edge, a heavy tail against 0, ties
    on every bin edge, 0 and 1 exactly."""
    if metric == "relevance":  # a spike: nearly all exactly 0.7 (a bin edge), a few extremes
        return np.where(rng.random(n) < 0.9, 0.7, rng.choice([0.0, 1.0, 0.35], n))
    if metric == "coherence":  # a heavy tail against 0, a few at 1 exactly
        return np.where(rng.random(n) < 0.05, 1.0, rng.beta(0.3, 4.0, n))
    return rng.integers(0, 1001, n) / 1000.0  # tone: ties on the fine bins' edges


def _latency(source: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Latencies built to break log-spaced bins: a log-normal body, a Pareto tail over
    orders of magnitude, a spike with a few far outliers, zeros."""
    if source == "Atlas":
        return np.round(np.exp(rng.normal(5.3, 0.6, n)), 1)
    if source == "Nova":
        return np.round((rng.pareto(1.1, n) + 1) * 60, 3)
    return np.where(rng.random(n) < 0.93, 250.0, rng.choice([0.0, 9000.0, 12.5], n))


def monitor_frame(days: int = 6, per_day: int = 40, seed: int = 11) -> pd.DataFrame:
    """Monitoring rows: 3 sources x 2 environments x ``days`` days x ``per_day`` records, each
    with relevance, coherence and tone scores (some null) and one latency (some null); on the
    last day Orion's scores drop (threshold and anomaly alerts) and Nova's latency grows
    (a latency alert). One record a day of the metric ``rare``: groups of one and two."""
    rng = np.random.default_rng(seed)
    parts = []
    for day in range(days):
        for si, src in enumerate(MONITOR_SOURCES):
            for env in ("prod", "staging"):
                ids = [f"{src}-{env}-{day}-{i}" for i in range(per_day)]
                ts = MONITOR_DAY0 + pd.Timedelta(days=day) + pd.to_timedelta(
                    np.sort(rng.integers(0, 86_400, per_day)), "s")
                lat = _latency(src, per_day, rng)
                if src == "Nova" and day == days - 1:
                    lat = lat * 40
                lat = np.where(rng.random(per_day) < 0.03, np.nan, lat)
                for metric in ("relevance", "coherence", "tone"):
                    s = _scores(metric, per_day, rng)
                    if src == "Orion" and day == days - 1:
                        s = s * 0.3
                    s = np.where(rng.random(per_day) < 0.02, np.nan, s)
                    parts.append(pd.DataFrame({
                        "dataset_id": ids, "trace_id": ids, "timestamp": ts, "source_name": src,
                        "environment": env, "model_name": ["m1", "m2"][si % 2], "metric_name": metric,
                        "metric_score": s, "metric_category": "SCORE", "latency": lat}))
                k = 1 + day % 2  # the rare metric: one or two scores per day and source
                parts.append(pd.DataFrame({
                    "dataset_id": ids[:k], "trace_id": ids[:k], "timestamp": ts[:k], "source_name": src,
                    "environment": env, "model_name": ["m1", "m2"][si % 2], "metric_name": "rare",
                    "metric_score": rng.random(k).round(3), "metric_category": "SCORE", "latency": lat[:k]}))
    return pd.concat(parts, ignore_index=True)


def labelled_frame(base: pd.DataFrame | None = None) -> pd.DataFrame:
    """``base`` (default :func:`monitor_frame`) plus an ``intent`` CLASSIFICATION row per
    record: labels that come and go between buckets (zeros in the grid), a rare label,
    missing labels, and a source (Atlas) with no labels at all."""
    df = monitor_frame() if base is None else base
    rng = np.random.default_rng(5)
    rec = df.drop_duplicates("dataset_id").copy()
    rec = rec[rec.source_name != "Atlas"]
    day = (rec.timestamp - rec.timestamp.min()).dt.days.to_numpy()
    label = np.where(rng.random(len(rec)) < 0.6, "refund", np.where(day % 2 == 0, "billing", "other"))
    label = np.where(rng.random(len(rec)) < 0.01, "rare", label).astype(object)
    label[rng.random(len(rec)) < 0.05] = None
    rec = rec.assign(metric_name="intent", metric_category="CLASSIFICATION", metric_score=np.nan,
                     explanation=label, actual_output="out")
    return pd.concat([df.assign(explanation=None, actual_output="out"), rec], ignore_index=True)
