"""The compare view's "Test cases" mode against pandas: the side-by-side and classic tables
(every page), the quick filters (top / bottom 20 %, high variance, outputs differ), search,
sort, metric and metadata filters, the CSV of everything filtered and the case dialog.

pandas recomputes each number from the raw rows with the rules the module documents: a
case's score in an experiment is the mean of its per-metric means; mean / std (sample) /
spread over the experiments that scored it; quick filters keep ceil(n / 5) cases ranked
over every case (ties by id), before the search.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.analytics import testcases
from axis_jupyter.errors import ParameterError, QueryError
from axis_jupyter.notebook.widgets import call_action

EXPS = ["alpha", "beta", "gamma"]
N_CASES = 41  # ceil(41 / 5) = 9: the 20 % share is not a round number


def frame(seed: int = 3) -> pd.DataFrame:
    """Three experiments over 41 cases, with the awkward parts: gamma skips every fourth
    case, a metric scored twice for one case, NaN scores, identical outputs for some cases
    (and one that differs only by surrounding spaces), a metadata column to filter on."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N_CASES):
        cid = f"c{i:03d}"
        same = i % 3 == 0
        for j, e in enumerate(EXPS):
            if e == "gamma" and i % 4 == 1:
                continue
            out = f"the answer to {cid}" if same else f"{e} says {cid} " + "word " * int(rng.integers(1, 6))
            if same and e == "beta" and i == 3:
                out = f"  {out}  "  # the same once trimmed
            for m in ("m1", "m2", "m3"):
                score = float(np.round(rng.uniform(0, 1), 4))
                if (i + j) % 17 == 0 and m == "m3":
                    score = float("nan")
                rows.append({"dataset_id": cid, "evaluation_name": e, "metric_name": m, "metric_score": score,
                             "query": f"question {cid}", "actual_output": out,
                             "expected_output": f"ref {cid}", "tier": "gold" if i % 2 else "free"})
            if i == 5:  # scored twice: counts once, as its mean
                rows.append({**rows[-1], "metric_score": 0.11})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    df = frame()
    store = axis_jupyter.LocalStore(tmp_path_factory.mktemp("tc") / "tc.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(df, name="tc", kind="evals")
    yield store, df
    store.close()


# ------------------------------------------------------------------ the pandas side
def per_case(df, exps=EXPS, metrics=None, filters=None):
    """(scores per (case, experiment), stats per case)."""
    d = df[df.evaluation_name.isin(exps) & df.metric_score.notna()]
    for k, v in (filters or {}).items():
        d = d[d[k].isin(v if isinstance(v, list) else [v])]
    if metrics:
        d = d[d.metric_name.isin(metrics)]
    cm = d.groupby(["dataset_id", "evaluation_name", "metric_name"]).metric_score.mean()
    ce = cm.groupby(level=[0, 1]).mean().rename("score").reset_index()
    cs = ce.groupby("dataset_id").score.agg(["mean", "std", "min", "max", "count"])
    cs["spread"] = cs["max"] - cs["min"]
    return cm, ce, cs


def share(frame_, column, descending):
    n = math.ceil(len(frame_) / 5)
    ordered = frame_.reset_index().sort_values([column, "dataset_id"], ascending=[not descending, True])
    return set(ordered.head(n)["dataset_id"])


def expected_ids(df, quick="all", search=None, sort="case_id", descending=None, exps=EXPS, metrics=None,
                 filters=None):
    cm, ce, cs = per_case(df, exps, metrics, filters)
    keep = set(cs.index)
    if quick == "top":
        keep = share(cs, "mean", True)
    elif quick == "bottom":
        keep = share(cs, "mean", False)
    elif quick == "variance":
        keep = share(cs[cs["std"].notna() & (cs["std"] > 0)], "std", True)
    elif quick == "differ":
        d = df[df.evaluation_name.isin(exps) & df.actual_output.notna()]
        n = d.assign(o=d.actual_output.str.strip()).groupby("dataset_id").o.nunique()
        keep &= set(n[n > 1].index)
    if search:
        s = search.lower()
        d = df[df.evaluation_name.isin(exps)]
        hit = d.dataset_id.str.lower().str.contains(s, regex=False) | d["query"].str.lower().str.contains(s, regex=False) \
            | d.actual_output.str.lower().str.contains(s, regex=False)
        keep &= set(d[hit].dataset_id)
    cs = cs.loc[sorted(keep)].copy()
    if sort == "case_id":
        key, desc = None, bool(descending)
    elif sort.startswith("score:"):
        e = sort.split(":", 1)[1]
        key, desc = ce[ce.evaluation_name == e].set_index("dataset_id").score.reindex(cs.index), True
    elif sort.startswith("metric:"):
        m = sort.split(":", 1)[1]
        mm = cm.reset_index()
        key, desc = mm[mm.metric_name == m].groupby("dataset_id").metric_score.mean().reindex(cs.index), True
    else:
        key, desc = cs[{"experiments": "count"}.get(sort, sort)], True
    if descending is not None:
        desc = bool(descending)
    if key is None:
        return sorted(cs.index, reverse=desc), cs
    o = pd.DataFrame({"k": key, "id": cs.index}).assign(nul=lambda x: x.k.isna())
    # missing last, then the key, ties by id ascending
    o = o.sort_values(["nul", "k", "id"], ascending=[True, not desc, True], kind="mergesort")
    return o["id"].tolist(), cs


def all_rows(store, **params):
    """Every page of the view action (page size 7), concatenated."""
    out, page = [], 1
    while True:
        p = call_action(store, "tc", "compare", "test_cases", {**params, "page": page, "page_size": 7})
        out += p["rows"]
        if page * 7 >= p["total"]:
            return out, p
        page += 1


# ------------------------------------------------------------------ tables
def test_side_by_side_matches_pandas_on_every_page(data):
    store, df = data
    rows, p = all_rows(store)
    ids, cs = expected_ids(df)
    assert [r["case_id"] for r in rows] == ids and p["total"] == N_CASES == p["all_cases"]
    assert p["total_rows"] == int(cs["count"].sum()) == p["all_rows"]
    assert p["experiments"] == EXPS and set(p["colors"]) == set(EXPS) and len(set(p["colors"].values())) == 3
    assert [r["position"] for r in rows] == list(range(1, N_CASES + 1))
    cm, ce, _ = per_case(df)
    for r in rows:
        s = cs.loc[r["case_id"]]
        assert r["mean"] == pytest.approx(s["mean"]) and r["spread"] == pytest.approx(s["spread"])
        assert r["std"] == pytest.approx(s["std"]) and r["n_experiments"] == s["count"]
        mine = ce[ce.dataset_id == r["case_id"]].set_index("evaluation_name").score
        assert set(r["cells"]) == set(mine.index)  # gamma skips a case: no cell, not a zero
        for e, cell in r["cells"].items():
            assert cell["score"] == pytest.approx(mine[e])
            want = cm.loc[r["case_id"], e].to_dict()
            assert cell["metrics"] == pytest.approx(want)
            raw = df[(df.dataset_id == r["case_id"]) & (df.evaluation_name == e)].iloc[0]
            assert cell["output"] == raw.actual_output and cell["fields"]["expected_output"] == raw.expected_output
        assert r["query"] == f"question {r['case_id']}"
    assert rows[5]["cells"]["alpha"]["metrics"]["m3"] != 0.11  # scored twice: the mean of both


@pytest.mark.parametrize("quick", ["top", "bottom", "variance", "differ"])
@pytest.mark.parametrize("sort", [("case_id", None), ("mean", None), ("std", True), ("score:beta", None),
                                  ("metric:m2", False), ("experiments", None)])
def test_quick_filters_and_sorting_match_pandas(data, quick, sort):
    store, df = data
    sort_by, desc = sort
    params = {"quick": quick, "sort_by": sort_by}
    if desc is not None:
        params["descending"] = desc
    rows, p = all_rows(store, **params)
    ids, cs = expected_ids(df, quick=quick, sort=sort_by, descending=desc)
    assert [r["case_id"] for r in rows] == ids
    assert p["total"] == len(ids) and p["total_rows"] == int(cs["count"].sum())
    assert p["all_cases"] == N_CASES  # "Test cases 9 / 41"
    if quick in ("top", "bottom"):
        assert p["total"] == math.ceil(N_CASES / 5) == 9


def test_high_variance_keeps_the_fifth_with_the_largest_spread_of_scores(data):
    store, df = data
    _, _, cs = per_case(df)
    candidates = cs[cs["std"] > 0]
    rows, p = all_rows(store, quick="variance", sort_by="std")
    assert p["total"] == math.ceil(len(candidates) / 5)
    stds = [r["std"] for r in rows]
    assert stds == sorted(stds, reverse=True)
    assert min(stds) >= candidates["std"].sort_values(ascending=False).iloc[p["total"] - 1] - 1e-12
    assert all(r["n_experiments"] >= 2 for r in rows)


def test_search_looks_inside_the_quick_filter(data):
    store, df = data
    for quick, text in (("all", "gamma says"), ("top", "C01"), ("differ", "the answer"), ("bottom", "question c02")):
        rows, p = all_rows(store, quick=quick, search=text)
        ids, _ = expected_ids(df, quick=quick, search=text)
        assert [r["case_id"] for r in rows] == ids and p["total"] == len(ids)
        assert p["search"] == text


def test_outputs_differ_ignores_surrounding_spaces(data):
    store, df = data
    rows, _ = all_rows(store, quick="differ")
    ids = {r["case_id"] for r in rows}
    assert "c003" not in ids and "c001" in ids and not any(i in ids for i in ("c000", "c006", "c009"))


def test_metrics_experiments_and_filters_change_the_numbers(data):
    store, df = data
    params = {"metrics": ["m1", "m3"], "experiments": ["gamma", "alpha"], "filters": {"tier": "gold"},
              "sort_by": "mean"}
    rows, p = all_rows(store, **params)
    ids, cs = expected_ids(df, sort="mean", exps=["gamma", "alpha"], metrics=["m1", "m3"],
                           filters={"tier": "gold"})
    assert [r["case_id"] for r in rows] == ids
    assert p["experiments"] == ["gamma", "alpha"] and p["shown_metrics"] == ["m1", "m3"]
    assert p["metrics"] == ["m1", "m2", "m3"]
    for r in rows:
        assert r["mean"] == pytest.approx(cs.loc[r["case_id"], "mean"])
        assert set(r["cells"]) <= {"gamma", "alpha"}
        assert all(set(c["metrics"]) <= {"m1", "m3"} for c in r["cells"].values())


def test_text_is_cut_unless_full_text(data, tmp_path):
    store, df = data
    long = df[df.dataset_id == "c002"].copy()
    long["dataset_id"] = "long"
    long["actual_output"] = [f"{e} " + "x" * 5000 for e in long.evaluation_name]
    s = axis_jupyter.connect(str(tmp_path / "long.duckdb"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.load(long, name="tc", kind="evals")
    cut = call_action(s, "tc", "compare", "test_cases", {})["rows"][0]["cells"]["alpha"]
    full = call_action(s, "tc", "compare", "test_cases", {"full_text": True})["rows"][0]["cells"]["alpha"]
    assert len(cut["output"]) == testcases.CLIP and cut["output_length"] == 5006
    assert full["output"] == "alpha " + "x" * 5000
    s.close()


def test_fields_picker_limits_the_detail_fields(data):
    store, _ = data
    p = call_action(store, "tc", "compare", "test_cases", {"fields": []})
    assert p["fields"] == ["expected_output"] and p["shown_fields"] == []
    assert all(c["fields"] == {} for r in p["rows"] for c in r["cells"].values())
    with pytest.raises(ParameterError, match="fields must be among"):
        call_action(store, "tc", "compare", "test_cases", {"fields": ["query; drop"]})


# ------------------------------------------------------------------ export and dialog
@pytest.mark.parametrize("layout", ["classic", "side"])
def test_csv_holds_every_filtered_case_not_just_the_page(data, layout):
    store, df = data
    params = {"quick": "top", "search": "question", "sort_by": "mean", "metrics": ["m1", "m2"],
              "fields": ["expected_output"]}
    out = call_action(store, "tc", "compare", "test_cases_export", {**params, "layout": layout})
    got = pd.read_csv(io.StringIO(out["text"]), dtype={"case_id": str})
    ids, cs = expected_ids(df, quick="top", search="question", sort="mean", metrics=["m1", "m2"])
    cm, ce, _ = per_case(df, metrics=["m1", "m2"])
    assert out["mime"] == "text/csv" and out["filename"] == f"tc_test_cases_{layout}.csv"
    assert out["cases"] == len(ids) == 9 > 7  # more than one page of the table
    if layout == "classic":
        want = ce.set_index(["dataset_id", "evaluation_name"]).loc[[(i, e) for i in ids for e in EXPS
                                                                      if (i, e) in ce.set_index(["dataset_id", "evaluation_name"]).index]]
        assert list(zip(got.case_id, got.evaluation_name)) == list(want.index) and out["rows"] == len(want)
        assert got.score.tolist() == pytest.approx(want.score.tolist())
        assert list(got.columns) == ["case_id", "evaluation_name", "query", "actual_output", "expected_output",
                                     "score", "m1", "m2", "case_mean", "case_std"]
        first = got.iloc[0]
        assert first.m2 == pytest.approx(cm.loc[first.case_id, first.evaluation_name, "m2"])
    else:
        assert got.case_id.tolist() == ids and out["rows"] == len(ids)
        assert got["mean"].tolist() == pytest.approx(cs.loc[ids, "mean"].tolist())
        assert "beta m2" in got.columns and "gamma output" in got.columns
        r = got.iloc[0]
        assert r["beta m2"] == pytest.approx(cm.loc[r.case_id, "beta", "m2"])


def test_case_dialog_holds_every_experiment_and_the_metric_grid(data):
    store, df = data
    d = call_action(store, "tc", "compare", "test_case", {"case_id": "c005"})
    cm, ce, _ = per_case(df)
    assert [e["evaluation_name"] for e in d["experiments"]] == ["alpha", "beta"]  # gamma skipped it
    assert d["order"] == EXPS
    assert d["experiments"][0]["fields"]["query"] == "question c005"
    assert {g["metric_name"] for g in d["grid"]} == {"m1", "m2", "m3"}
    for g in d["grid"]:
        assert g["gamma"] is None
        for e in ("alpha", "beta"):
            assert g[e] == pytest.approx(cm.loc["c005", e, g["metric_name"]])
    assert d["scores"]["beta"] == pytest.approx(ce.set_index(["dataset_id", "evaluation_name"]).score["c005", "beta"])
    with pytest.raises(QueryError, match="no test case"):
        call_action(store, "tc", "compare", "test_case", {"case_id": "nope"})


@pytest.mark.parametrize("params, name", [
    ({"quick": "best"}, "quick"), ({"sort_by": "score:nope"}, "sort_by"),
    ({"experiments": ["alpha", "zeta"]}, "experiments"), ({"page_size": 0}, "page_size"),
    ({"layout": "wide"}, "layout"),
])
def test_bad_parameters_name_themselves(data, params, name):
    store, _ = data
    action = "test_cases_export" if "layout" in params else "test_cases"
    with pytest.raises(ParameterError) as err:
        call_action(store, "tc", "compare", action, params)
    assert name in str(err.value)


# ------------------------------------------------------------------ DuckDB and PostgreSQL
def test_the_analytic_is_portable(ctx_for, frames):
    """The same expressions on DuckDB and on PostgreSQL (the paired fixture's continuous
    metric, which all three experiments score: no tied scores to order)."""
    ctx = ctx_for("paired")
    df = frames["paired"]
    exps, m = ["base", "chal", "third"], ["m_cont"]
    got = testcases.test_cases(ctx, quick="variance", sort_by="std", metrics=m, page_size=500)
    ids, cs = expected_ids(df, quick="variance", sort="std", exps=exps, metrics=m)
    assert list(dict.fromkeys(got.case_id)) == ids and len(ids) == 12
    first = got.drop_duplicates("case_id").set_index("case_id")
    assert first.loc[ids, "case_std"].tolist() == pytest.approx(cs.loc[ids, "std"].tolist())
    top = testcases.test_cases(ctx, quick="top", sort_by="score:third", metrics=m, search="c00", page_size=500)
    ids, _ = expected_ids(df, quick="top", sort="score:third", search="c00", exps=exps, metrics=m)
    assert list(dict.fromkeys(top.case_id)) == ids
