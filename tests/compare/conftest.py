"""Generated evaluation data for the compare and deep-dive tests, loaded into a DuckDB store
on disk and copied to the session's PostgreSQL and its local Spark, with ``ctx_for(name)``
giving an AnalyticContext on each backend (the same Ibis expressions run on all three)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter

EXPS = ["base", "chal", "third"]


def paired_frame(seed: int = 11) -> pd.DataFrame:
    """Three experiments scoring the same cases, with every awkward case the engine handles.

    metrics:
      m_cont      continuous, 60 cases, challenger +0.05 (paired t and Wilcoxon, n <= 50? no: 60)
      m_big       300 cases rounded to 0.05: many ties and zero differences (normal approx)
      m_ties      40 cases rounded to 0.1: ties and zeros with n <= 50 (scipy on the diffs)
      m_small     8 cases, no ties (exact Wilcoxon)
      m_missing   60 cases, a third of the challenger's scores missing (NaN)
      m_identical both experiments identical (zero variance of the differences)
      m_shift     challenger = baseline + 0.25 exactly (constant difference)
      m_single    a single case in each experiment
      m_only_base scored by the baseline only
      m_only_chal scored by the challenger only
    """
    rng = np.random.default_rng(seed)
    rows = []

    def add(metric, exp, ids, scores):
        for i, s in zip(ids, scores):
            rows.append({"dataset_id": f"c{i:04d}", "evaluation_name": exp, "metric_name": metric,
                         "metric_score": s})

    ids60 = np.arange(60)
    base = rng.uniform(0.2, 0.9, 60)
    add("m_cont", "base", ids60, base)
    add("m_cont", "chal", ids60, np.clip(base + 0.05 + rng.normal(0, 0.08, 60), 0, 1))
    add("m_cont", "third", ids60, np.clip(base - 0.02 + rng.normal(0, 0.1, 60), 0, 1))
    ids300 = np.arange(300)
    b = np.round(rng.uniform(0, 1, 300) / 0.05) * 0.05
    c = np.clip(np.round((b + rng.normal(0.03, 0.1, 300)) / 0.05) * 0.05, 0, 1)
    add("m_big", "base", ids300, b)
    add("m_big", "chal", ids300, c)
    ids40 = np.arange(40)
    b = np.round(rng.uniform(0, 1, 40), 1)
    c = np.clip(np.round(b + rng.normal(0.05, 0.15, 40), 1), 0, 1)
    add("m_ties", "base", ids40, b)
    add("m_ties", "chal", ids40, c)
    ids8 = np.arange(8)
    b = rng.uniform(0.3, 0.7, 8)
    add("m_small", "base", ids8, b)
    add("m_small", "chal", ids8, b + rng.uniform(-0.05, 0.2, 8))
    b = rng.uniform(0.2, 0.9, 60)
    c = b + rng.normal(0.02, 0.05, 60)
    c[::3] = np.nan
    add("m_missing", "base", ids60, b)
    add("m_missing", "chal", ids60, c)
    b = np.round(rng.uniform(0, 1, 30), 3)
    add("m_identical", "base", np.arange(30), b)
    add("m_identical", "chal", np.arange(30), b)
    b = rng.choice([0.0, 0.25, 0.5], 20)
    add("m_shift", "base", np.arange(20), b)
    add("m_shift", "chal", np.arange(20), b + 0.25)
    add("m_single", "base", [0], [0.4])
    add("m_single", "chal", [0], [0.6])
    add("m_only_base", "base", ids60, rng.uniform(0, 1, 60))
    add("m_only_chal", "chal", ids60, rng.uniform(0, 1, 60))
    df = pd.DataFrame(rows)
    # Text and metadata the case diff and the deep dive show.
    lens = {i: int(rng.integers(5, 1500)) for i in range(300)}
    df["query"] = df["dataset_id"].map(lambda d: f"question {d}")
    df["actual_output"] = [f"{e}:{d}:" + "x" * lens[int(d[1:])] for d, e in zip(df.dataset_id, df.evaluation_name)]
    df["expected_output"] = df["dataset_id"].map(lambda d: f"reference for {d}")
    df["explanation"] = "because"
    turns = {i: int(rng.integers(1, 14)) for i in range(300)}

    def conv(d):
        n = turns[int(d[1:])]
        msgs = []
        for k in range(n):
            msgs += [{"role": "user", "content": f"q{k}"}, {"role": "assistant", "content": f"a{k}"}]
        return json.dumps({"messages": msgs}) if int(d[1:]) % 5 else str({"messages": msgs})  # JSON and Python literal

    df["conversation"] = df["dataset_id"].map(conv)
    tiers = ["gold", "silver", "bronze"]
    df["data_metadata"] = [json.dumps({"tier": tiers[int(d[1:]) % 3], "lang": "en" if int(d[1:]) % 2 else "fr"})
                           if int(d[1:]) % 7 else str({"tier": tiers[int(d[1:]) % 3], "lang": "de"})
                           for d in df.dataset_id]
    df["retrieved_content"] = "['doc a', 'doc b']"
    df["signals"] = '{"overall": [{"name": "verdict", "value": "YES"}]}'
    df["critique"] = None
    df["metric_type"] = "metric"
    return df


def unpaired_frame(seed: int = 5) -> pd.DataFrame:
    """Two experiments on disjoint cases (Welch), different sizes and variances."""
    rng = np.random.default_rng(seed)
    rows = []
    for exp, n, mu, sd, off in (("base", 45, 0.6, 0.1, 0), ("chal", 70, 0.66, 0.2, 1000)):
        for m in ("w1", "w2"):
            s = np.clip(rng.normal(mu, sd, n), 0, 1)
            for i in range(n):
                rows.append({"dataset_id": f"u{off + i}", "evaluation_name": exp, "metric_name": m,
                             "metric_score": s[i]})
    # a single-case group: one baseline case only
    rows.append({"dataset_id": "u9999", "evaluation_name": "base", "metric_name": "w_one", "metric_score": 0.5})
    for i in range(5):
        rows.append({"dataset_id": f"u{2000 + i}", "evaluation_name": "chal", "metric_name": "w_one",
                     "metric_score": 0.1 * i})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def frames():
    return {"paired": paired_frame(), "unpaired": unpaired_frame()}


@pytest.fixture(scope="session")
def duck(tmp_path_factory, frames):
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("cmp") / "cmp.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, df in frames.items():
            store.load(df, name=name, kind="evals")
    yield store
    store.close()


@pytest.fixture(scope="session", params=["duckdb", "postgres", "spark"])
def ctx_for(request, duck):
    """ctx_for(name) -> AnalyticContext on the chosen backend."""
    from support.pg import context_factory

    pg_uri = request.getfixturevalue("pg_uri") if request.param == "postgres" else None
    spark = request.getfixturevalue("spark") if request.param == "spark" else None
    return context_factory(duck, request.param, pg_uri, prefix="cmp", spark=spark)
