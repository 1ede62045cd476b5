"""Issue extraction (analytics/issues.py) against an independent pandas implementation of
the same rules, on DuckDB and on PostgreSQL, for long and wide evaluation layouts."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics.issues import issues as issues_sql
from axis_jupyter.errors import ParameterError


# ---------------------------------------------------------------------------- reference
def bucket(record_id) -> int:
    text = "" if record_id is None else str(record_id)
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 1000


def parse_signals(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [value]
    return parsed if isinstance(parsed, (list, dict)) else [parsed]


def long_rows(frame: pd.DataFrame, layout: str) -> pd.DataFrame:
    if layout == "long":
        return frame
    metric_cols = [c for c in frame.columns if c.endswith("_score")]
    keep = [c for c in frame.columns if c not in metric_cols]
    out = frame.melt(id_vars=keep, value_vars=metric_cols, var_name="metric_name",
                     value_name="metric_score")
    out["metric_name"] = out["metric_name"].str[: -len("_score")]
    out["evaluation_name"] = "Experiment 1"
    # A wide file's empty cell is "not scored": the store melts it to no row at all.
    return out[out["metric_score"].notna()]


def pandas_issues(rows: pd.DataFrame, mode="low", threshold=0.5, metrics=None, sample_rate=1.0,
                  max_issues=200, include_nan=False, fields=None) -> pd.DataFrame:
    fields = ["query", "actual_output", "expected_output", "critique"] if fields is None else fields
    kept = []
    for r in rows.to_dict("records"):
        if metrics and r["metric_name"] not in metrics:
            continue
        score = r["metric_score"]
        missing = score is None or (isinstance(score, float) and math.isnan(score))
        if missing:
            if not include_nan:
                continue
        elif mode == "low" and not score <= threshold:
            continue
        elif mode == "high" and not score > threshold:
            continue
        if not bucket(r["dataset_id"]) < sample_rate * 1000:
            continue
        out = {"record_id": str(r["dataset_id"]), "metric_name": r["metric_name"],
               "metric_score": None if missing else float(score),
               "evaluation_name": r.get("evaluation_name")}
        for f in fields:
            if f == "critique":
                crit = r.get("critique")
                out[f] = crit if isinstance(crit, str) else r.get("explanation")
            elif f == "signals":
                out[f] = parse_signals(r.get("signals"))
            else:
                v = r.get(f)
                out[f] = v if isinstance(v, str) else None
        kept.append(out)
    sign = 1 if mode == "low" else -1
    kept.sort(key=lambda o: (o["metric_score"] is None,
                             0 if o["metric_score"] is None else sign * o["metric_score"],
                             o["record_id"], o["metric_name"], o["evaluation_name"]))
    return pd.DataFrame(kept[:max_issues], columns=["record_id", "metric_name", "metric_score",
                                                    "evaluation_name", *fields])


def normalise(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        row = {}
        for k, v in r.items():
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                v = None
            elif isinstance(v, float):
                v = round(v, 9)
            row[k] = v
        out.append(row)
    return out


# ---------------------------------------------------------------------------- cases
CASES = [
    dict(mode="low", threshold=0.5),
    dict(mode="low", threshold=0.62, max_issues=37),
    dict(mode="high", threshold=0.8, max_issues=500),
    dict(mode="overall", max_issues=60, sample_rate=0.3),
    dict(mode="low", threshold=0.7, sample_rate=0.25, include_nan=True, max_issues=500),
    dict(mode="high", threshold=0.1, metrics=["clarity", "safety", "recall"], sample_rate=0.5,
         fields=["query", "signals", "critique", "expected_output", "conversation"]),
    dict(mode="low", threshold=1.0, sample_rate=0.013, include_nan=True, max_issues=500,
         fields=["signals"]),
]


@pytest.mark.parametrize("layout", ["long", "wide"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_issues_match_pandas(ictx, issue_frames, layout, case):
    ctx = ictx(layout)
    got = issues_sql(ctx, **case)
    want = pandas_issues(long_rows(issue_frames[layout], layout), **case)
    assert list(got.columns) == list(want.columns)
    assert len(got) > 0, "the case should select some issues"
    assert normalise(got) == normalise(want)


def test_sampling_keeps_whole_records_and_the_share_asked(ictx, issue_frames):
    ctx = ictx("long")
    got = issues_sql(ctx, mode="overall", sample_rate=0.2, max_issues=500, fields=[])
    ids = set(got["record_id"])
    assert all(bucket(i) < 200 for i in ids)
    # every score of a kept record that passes the rule is kept (sampling is per record)
    everything = issues_sql(ctx, mode="overall", max_issues=500, fields=[])
    assert len(everything) == 500
    all_ids = set(issue_frames["long"]["dataset_id"])
    picked = {i for i in all_ids if bucket(i) < 200}
    assert 0.1 < len(picked) / len(all_ids) < 0.3


def test_md5_bucket_matches_python_on_awkward_ids(ictx, istore):
    """The SQL remainder of the 128-bit md5 equals Python's for text a CSV may hold."""
    import ibis

    from axis_jupyter.analytics.issues import _md5, dialect_of, md5_bucket, sampled_ids

    ctx = ictx("long")
    ids = ["", "0", "case00001", "Ünïcödé-ид-名前", "a b\tc", "'quoted'", "x" * 300,
           *[f"r{i}" for i in range(200)]]
    t = ctx.table("full").limit(1)
    lit = ibis.array(ids).unnest().name("v")
    values = t.select(v=lit)
    want = {i: bucket(i) for i in ids}
    for dialect in {"portable", dialect_of(values)}:  # the fast DuckDB form and the portable one
        expr = values.select("v", b=md5_bucket(_md5(values.v), dialect))
        got = dict(ctx.execute(expr)[["v", "b"]].itertuples(index=False, name=None))
        assert got == want, dialect
    kept = set(ctx.execute(sampled_ids(values.v, 0.37))["_rid"])
    assert kept == {i for i in ids if bucket(i) < 370}


@pytest.mark.parametrize("params,name", [
    (dict(mode="worst"), "mode"),
    (dict(sample_rate=0), "sample_rate"),
    (dict(sample_rate=1.5), "sample_rate"),
    (dict(max_issues=0), "max_issues"),
    (dict(max_issues=501), "max_issues"),
    (dict(fields=["query", "password"]), "fields"),
])
def test_bad_parameters_name_the_parameter(istore, params, name):
    with pytest.raises(ParameterError) as err:
        istore.analytic("long", "issues", **params)
    assert err.value.param == name or err.value.param.startswith(name)
    assert name in str(err.value)


def test_issues_through_the_store_and_dataset(istore):
    ds = istore.dataset("long")
    df = ds.analytic("issues", mode="low", threshold=0.3, max_issues=5,
                     filters={"evaluation_name": "beta"})
    assert len(df) == 5
    assert set(df["evaluation_name"]) == {"beta"}
    assert list(df["metric_score"]) == sorted(df["metric_score"])
    assert (df["metric_score"] <= 0.3).all()
