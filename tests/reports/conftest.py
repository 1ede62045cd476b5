"""Generated evaluation data for issue extraction: long (tree) and wide layouts, with ties,
NULL and NaN scores, a critique column on some rows only, and signals in several forms.
The same data is loaded into a DuckDB store on disk and copied to the session's PostgreSQL."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter

# Lowercase words without punctuation: every collation orders them the same way, so the
# tie-break by record id and metric is the same on DuckDB and PostgreSQL.
METRICS = ["accuracy", "clarity", "grounding", "helpfulness", "safety"]
EXPERIMENTS = ["alpha", "beta"]


def long_frame(n_cases: int = 700, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for case in range(n_cases):
        rid = f"case{case:05d}"
        for exp in EXPERIMENTS:
            for m in METRICS:
                # two decimals: many exact ties, so the tie-break order is exercised
                score = round(float(rng.beta(4, 2)), 2)
                r = rng.random()
                if r < 0.03:
                    score = None
                elif r < 0.05:
                    score = float("nan")
                form = rng.integers(0, 4)
                signals = [json.dumps({"verdict": "NO" if (score or 0) < 0.5 else "YES"}),
                           json.dumps([{"name": "step", "value": int(case % 7)}]),
                           "plain text signal", None][form]
                rows.append({
                    "dataset_id": rid, "evaluation_name": exp, "metric_name": m,
                    "metric_score": score, "metric_type": "metric",
                    "query": f"question {case} about {m}",
                    "actual_output": f"answer {case}/{exp}",
                    "expected_output": None if case % 5 == 0 else f"expected {case}",
                    "explanation": f"{m} judged {score}",
                    "critique": f"critique of {rid}" if case % 3 == 0 else None,
                    "signals": signals,
                })
    return pd.DataFrame(rows)


def wide_frame(n_cases: int = 500, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "dataset_id": [f"rec{i:05d}" for i in range(n_cases)],
        "query": [f"wide question {i}" for i in range(n_cases)],
        "actual_output": [f"wide answer {i}" for i in range(n_cases)],
    })
    for m in ("fluency", "recall"):
        vals = np.round(rng.random(n_cases), 2)
        vals[rng.random(n_cases) < 0.04] = np.nan
        df[f"{m}_score"] = vals
    return df


@pytest.fixture(scope="session")
def issue_frames():
    return {"long": long_frame(), "wide": wide_frame()}


@pytest.fixture(scope="session")
def istore(tmp_path_factory, issue_frames):
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("issues") / "issues.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(issue_frames["long"], name="long", kind="evals")
        store.load(issue_frames["wide"], name="wide", kind="evals")
    yield store
    store.close()


@pytest.fixture(scope="session", params=["duckdb", "postgres"])
def ictx(request, istore):
    """ictx(name) -> AnalyticContext on DuckDB or on a PostgreSQL copy of the dataset."""
    from support.pg import context_factory

    pg_uri = request.getfixturevalue("pg_uri") if request.param == "postgres" else None
    return context_factory(istore, request.param, pg_uri, prefix="iss")


# a real Jupyter server (pytest-jupyter, base_url /a%40b/) with the AXIS extension
from support.axis_server import (  # noqa: E402,F401 - fixtures used by this folder's tests
    api, axis_config, axis_env_restored, axis_state, axis_store_path, jp_server_config)
