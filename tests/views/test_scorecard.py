"""The scorecard view: payload numbers against independent pandas computations on generated
data, the drill-down and per-case tree, and the kernel transport round trip."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from axis_jupyter import demo
from axis_jupyter.errors import AxisError, NotFoundError
from axis_jupyter.notebook.static_html import scorecard as static_html
from axis_jupyter.notebook.widgets import Scorecard, call_action, show
from axis_jupyter.wire import jsonable, records

TH = 0.5


# ---------------------------------------------------------------- generated data
def messy_tree(seed: int = 11, n_cases: int = 90) -> pd.DataFrame:
    """Two roots, a node whose parent is missing from the data, zero sibling weights, null
    scores, recorded types in odd spellings and a node without a recorded type."""
    rng = np.random.default_rng(seed)
    nodes = [  # name, parent, weight, metric_type
        ("Quality", None, 2.0, "Category"),
        ("Safety", None, 1.0, "category"),
        ("Grounding", "Quality", 0.0, "component"),
        ("Fluency", "Quality", 0.0, "component"),
        ("cites_sources", "Grounding", 1.0, "metric"),
        ("no_hallucination", "Grounding", 3.0, "METRIC"),
        ("grammar", "Fluency", 1.0, "leaf"),
        ("toxicity", "Safety", 1.0, None),
        ("pii_leak", "Safety", 1.0, "sub_component"),
        ("orphan", "Missing Parent", 0.5, "metric"),
    ]
    rows = []
    for exp, shift in (("run_a", 0.0), ("run_b", 0.1)):
        for c in range(n_cases):
            for name, parent, weight, mtype in nodes:
                score = float(np.clip(rng.normal(0.6 + shift, 0.25), 0, 1))
                if rng.random() < 0.05:
                    score = None
                if name == "toxicity" and c % 7 == 0:
                    score = 1.0  # exactly 1 -> last bin
                rows.append({"dataset_id": f"c{c:04d}", "evaluation_name": exp, "metric_name": name,
                             "metric_score": score, "parent": parent, "weight": weight,
                             "metric_type": mtype, "query": f"q{c}", "explanation": f"e{c}-{name}"})
    return pd.DataFrame(rows)


@pytest.fixture
def demo_ds(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return store.load(demo.eval_results(150, seed=5), name="ev", kind="evals")


@pytest.fixture
def messy_ds(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return store.load(messy_tree(), name="messy", kind="evals")


# ---------------------------------------------------------------- independent expectations
def expected(df: pd.DataFrame, experiment: str | None = None) -> dict:
    if experiment:
        df = df[df.evaluation_name == experiment]
    per = {}
    first = df.drop_duplicates("metric_name").set_index("metric_name")
    for name, g in df.groupby("metric_name"):
        s = g.metric_score.dropna().astype(float)
        bins = np.clip(np.floor(s.to_numpy() * 5), 0, 4).astype(int)
        per[name] = {
            "mean": s.mean() if len(s) else None, "min": s.min() if len(s) else None,
            "max": s.max() if len(s) else None, "std": s.std(ddof=1) if len(s) > 1 else None,
            "count": len(s), "pass_rate": (s >= TH).mean() if len(s) else None,
            "hist": [int((bins == i).sum()) for i in range(5)],
            "parent": first.loc[name, "parent"] if pd.notna(first.loc[name, "parent"]) else None,
            "weight": float(first.loc[name, "weight"]),
            "metric_type": first.loc[name, "metric_type"],
        }
    for v in per.values():  # missing parents make roots
        if v["parent"] not in per:
            v["parent"] = None

    def level(n):
        lv, p = 1, per[n]["parent"]
        while p is not None:
            lv, p = lv + 1, per[p]["parent"]
        return lv

    for n, v in per.items():
        v["level"] = level(n)
        sibs = [m for m in per if per[m]["parent"] == v["parent"]]
        total = sum(per[m]["weight"] for m in sibs)
        v["norm_weight"] = v["weight"] / total if total else 1 / len(sibs)
    roots = [n for n, v in per.items() if v["parent"] is None and v["mean"] is not None]
    wsum = sum(per[r]["norm_weight"] for r in roots)
    overall = sum(per[r]["norm_weight"] * per[r]["mean"] for r in roots) / wsum
    means = np.array([v["mean"] for v in per.values() if v["mean"] is not None])
    types = {n: str(v["metric_type"]).lower() if pd.notna(v["metric_type"]) else None for n, v in per.items()}
    return {
        "nodes": per, "overall": overall, "variance": float(means.std(ddof=0)),
        "cases": df.dataset_id.nunique(),
        "metrics": sum(1 for t in types.values() if t in ("metric", "leaf")) +
                   sum(1 for n, t in types.items() if t is None and not any(per[m]["parent"] == n for m in per)),
        "components": sum(1 for t in types.values() if t == "component"),
    }


def close(a, b, tol=1e-9):
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return (a is None) and (b is None or (isinstance(b, float) and math.isnan(b)))
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


def check_payload(p: dict, exp: dict) -> None:
    k = p["kpis"]
    assert close(k["overall_score"], exp["overall"])
    assert close(k["score_std"], exp["variance"])  # a standard deviation, named so
    assert "score_variance" not in k
    assert k["test_cases"] == exp["cases"]
    assert k["metrics"] == exp["metrics"]
    assert k["components"] == exp["components"]
    rows = {r["name"]: r for r in p["rows"]}
    assert set(rows) == set(exp["nodes"])
    for name, e in exp["nodes"].items():
        r = rows[name]
        for key in ("mean", "min", "max", "std", "pass_rate", "norm_weight", "weight"):
            assert close(r[key], e[key]), (name, key, r[key], e[key])
        assert r["count"] == e["count"], name
        assert r["hist"] == e["hist"], name
        assert r["level"] == e["level"], name
        assert r["parent"] == e["parent"], name


# ---------------------------------------------------------------- payload
def test_payload_matches_pandas_on_demo_data(store, demo_ds):
    df = demo.eval_results(150, seed=5).to_pandas()
    p = call_action(store, "ev", "scorecard", "payload", {})
    check_payload(p, expected(df))
    for exp in ("baseline", "candidate_a"):
        p = call_action(store, "ev", "scorecard", "payload", {"filters": {"evaluation_name": exp}})
        check_payload(p, expected(df, exp))
        assert p["experiments"]["selected"] == [exp]
        assert [s["selected"] for s in p["experiments"]["scores"]].count(True) == 1
    assert p["experiments"]["values"] == ["baseline", "candidate_a", "candidate_b"]
    # the per-experiment chart holds the overall score of each experiment
    for s in p["experiments"]["scores"]:
        assert close(s["overall_score"], expected(df, s["experiment"])["overall"])
    assert p["chart"]["datasets"]["experiments"] == p["experiments"]["scores"]
    assert p["chart"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    # only aggregates travel
    assert len(json.dumps(p)) < 20_000


def test_payload_hierarchy_order_types_and_tree(store, demo_ds):
    p = call_action(store, "ev", "scorecard", "payload", {})
    names = [r["name"] for r in p["rows"]]
    # roots by weight desc then name; depth first
    assert names == ["Overall Quality", "Accuracy", "faithfulness", "factual_accuracy", "Relevance",
                     "answer_relevancy", "context_relevancy", "Style", "conciseness", "tone"]
    assert {r["name"]: r["type"] for r in p["rows"]}["Style"] == "component"
    t = p["tree"]
    assert t["name"] == "Overall Quality" and [c["name"] for c in t["children"]] == ["Accuracy", "Relevance", "Style"]
    assert close(t["score"], p["rows"][0]["mean"])
    # the demo's parents hold the weighted mean of their children, row by row
    rows = {r["name"]: r for r in p["rows"]}
    assert close(rows["Accuracy"]["mean"], 0.6 * rows["faithfulness"]["mean"] + 0.4 * rows["factual_accuracy"]["mean"], 1e-4)


def test_payload_messy_tree(store, messy_ds):
    df = messy_tree()
    for exp in (None, "run_b"):
        filters = {"evaluation_name": exp} if exp else {}
        p = call_action(store, "messy", "scorecard", "payload", {"filters": filters})
        check_payload(p, expected(df, exp))
    rows = {r["name"]: r for r in p["rows"]}
    assert rows["orphan"]["level"] == 1 and rows["orphan"]["parent"] is None
    assert rows["Grounding"]["norm_weight"] == 0.5  # sibling weights sum to 0: equal shares
    assert rows["pii_leak"]["type"] == "sub-component"
    assert rows["toxicity"]["type"] == "metric"  # inferred: no children
    assert rows["grammar"]["type"] == "metric"  # "leaf"
    # several roots: a synthetic Overall root, plain mean of the roots
    t = p["tree"]
    assert t["name"] == "Overall" and t.get("synthetic")
    roots = [r for r in p["rows"] if r["level"] == 1]
    assert close(t["score"], sum(r["mean"] for r in roots) / len(roots))
    assert [r["name"] for r in roots] == ["Quality", "Safety", "orphan"]


def test_threshold_and_low_high(store, demo_ds):
    df = demo.eval_results(150, seed=5).to_pandas()
    p = call_action(store, "ev", "scorecard", "payload", {"threshold": 0.8})
    tone = next(r for r in p["rows"] if r["name"] == "tone")
    s = df[df.metric_name == "tone"].metric_score
    assert close(tone["pass_rate"], (s >= 0.8).mean())
    leaves = [r for r in p["rows"] if not r["children"]]
    assert p["kpis"]["low"] == sum(r["mean"] < 0.8 for r in leaves)
    assert p["kpis"]["low"] + p["kpis"]["high"] == 6


def test_registered_analytic(store, demo_ds):
    df = demo_ds.analytic("scorecard", filters={"evaluation_name": "baseline"})
    exp = expected(demo.eval_results(150, seed=5).to_pandas(), "baseline")
    assert list(df["name"])[:2] == ["Overall Quality", "Accuracy"]
    for r in df.to_dict("records"):
        e = exp["nodes"][r["name"]]
        assert close(r["mean"], e["mean"]) and r["count"] == e["count"]
        assert [r[f"h{i}"] for i in range(5)] == e["hist"]


# ---------------------------------------------------------------- drill-down and per case
def test_cases_page_matches_pandas(store, demo_ds):
    df = demo.eval_results(150, seed=5).to_pandas()
    sub = df[(df.metric_name == "tone") & (df.evaluation_name == "candidate_b")]
    sub = sub.sort_values(["metric_score", "dataset_id"], ascending=[False, True])
    res = call_action(store, "ev", "scorecard", "cases",
                      {"metric": "tone", "page": 2, "page_size": 10, "sort": "score_desc",
                       "filters": {"evaluation_name": "candidate_b"}})
    assert res["total"] == len(sub) == 150
    assert res["pages"] == 15
    got = [(r["dataset_id"], r["metric_score"]) for r in res["rows"]]
    want = list(zip(sub.dataset_id.iloc[10:20], sub.metric_score.iloc[10:20]))
    assert got == want
    assert set(res["rows"][0]) >= {"dataset_id", "query", "metric_score", "explanation"}
    # no experiment filter: every experiment's rows, with the experiment shown
    res = call_action(store, "ev", "scorecard", "cases", {"metric": "tone", "sort": "score_asc"})
    assert res["total"] == 450 and "evaluation_name" in res["rows"][0]
    assert res["rows"][0]["metric_score"] == df[df.metric_name == "tone"].metric_score.min()


def test_drill_down_is_worst_first_and_searchable(store, demo_ds):
    """A drill-down opens on the worst cases; a search keeps the cases whose id, query or
    explanation holds the text (case-insensitive), paged and counted like pandas does."""
    df = demo.eval_results(150, seed=5).to_pandas()
    tone = df[df.metric_name == "tone"]
    res = call_action(store, "ev", "scorecard", "cases", {"metric": "tone", "page_size": 20})
    want = tone.sort_values(["metric_score", "dataset_id", "evaluation_name"]).head(20)
    assert [(r["dataset_id"], r["metric_score"]) for r in res["rows"]] == list(zip(want.dataset_id, want.metric_score))
    assert res["sort"] == "score_asc"
    needle = str(tone["query"].dropna().iloc[3]).split()[1].upper()  # a word of a query
    low = needle.lower()
    hit = (tone.dataset_id.str.lower().str.contains(low, regex=False)
           | tone["query"].fillna("").str.lower().str.contains(low, regex=False)
           | tone["explanation"].fillna("").str.lower().str.contains(low, regex=False))
    sub = tone[hit].sort_values(["metric_score", "dataset_id", "evaluation_name"])
    assert 0 < len(sub) < len(tone)
    res = call_action(store, "ev", "scorecard", "cases",
                      {"metric": "tone", "search": needle, "page": 1, "page_size": 500})
    assert res["total"] == len(sub) and res["search"] == needle
    assert [r["dataset_id"] for r in res["rows"]] == sub.dataset_id.tolist()
    none = call_action(store, "ev", "scorecard", "cases", {"metric": "tone", "search": "no such text anywhere"})
    assert none["total"] == 0 and none["rows"] == []


def test_cases_bad_params(store, demo_ds):
    with pytest.raises(AxisError):
        call_action(store, "ev", "scorecard", "cases", {"metric": "tone", "page": 0})
    with pytest.raises(AxisError):
        call_action(store, "ev", "scorecard", "cases", {"metric": "tone", "sort": "nope"})
    with pytest.raises(AxisError):
        call_action(store, "ev", "scorecard", "cases", {})
    with pytest.raises(AxisError):
        call_action(store, "ev", "scorecard", "payload", {"filters": {"no_such_column": 1}})
    with pytest.raises(NotFoundError):
        call_action(store, "nope", "scorecard", "payload", {})
    # a dataset without metric scores (KPI data) gets a message naming the missing column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(pd.DataFrame({"kpi_name": ["a", "a"], "numeric_value": [1.0, 2.0],
                                 "created_at": ["2026-01-01", "2026-01-02"]}), name="k", kind="kpi")
    with pytest.raises(AxisError, match="scorecard needs evaluation data: .*'k' is a KPI dataset"):
        call_action(store, "k", "scorecard", "payload", {})


def test_case_tree(store, messy_ds):
    df = messy_tree()
    res = call_action(store, "messy", "scorecard", "case_tree",
                      {"dataset_id": "c0003", "filters": {"evaluation_name": "run_a"}})
    assert res["dataset_id"] == "c0003"
    assert res["case_ids"][:3] == ["c0000", "c0001", "c0002"]
    sub = df[(df.dataset_id == "c0003") & (df.evaluation_name == "run_a")].set_index("metric_name")
    rows = {r["name"]: r for r in res["rows"]}
    for name, r in rows.items():
        want = sub.loc[name, "metric_score"]
        assert close(r["mean"], None if pd.isna(want) else want)
        assert r["explanation"] == f"e3-{name}"
    assert res["tree"]["name"] == "Overall"
    # default case: the first id; search narrows the list
    res = call_action(store, "messy", "scorecard", "case_tree", {"search": "c008"})
    assert res["dataset_id"] == "c0080" and all("c008" in c for c in res["case_ids"])


# ---------------------------------------------------------------- the widget and the kernel transport
def test_widget_kernel_round_trip(store, demo_ds):
    w = Scorecard(demo_ds, experiment="candidate_a")
    assert w.view == "scorecard" and w.dataset == "ev" and w.transport == "kernel"
    assert w.params == {"filters": {"evaluation_name": "candidate_a"}}
    again = call_action(store, "ev", "scorecard", "payload",
                        {"filters": {"evaluation_name": "candidate_a"}})["kpis"]
    # DuckDB's parallel aggregation may differ in the last bit between two runs.
    assert w.snapshot["kpis"].keys() == again.keys()
    for key, value in again.items():
        if isinstance(value, float):
            assert w.snapshot["kpis"][key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
        else:
            assert w.snapshot["kpis"][key] == value, key
    sent = []
    w.send = lambda content, buffers=None: sent.append(content)
    # what the front end sends through the comm: answered with the same result as call_action
    w._on_custom_msg(w, {"kind": "axis-call", "id": "x1", "action": "cases",
                         "params": {"metric": "tone", "page": 1, "page_size": 5,
                                    "filters": {"evaluation_name": "baseline"}}}, [])
    assert sent[-1]["kind"] == "axis-reply" and sent[-1]["id"] == "x1"
    assert sent[-1]["result"] == call_action(store, "ev", "scorecard", "cases",
                                             {"metric": "tone", "page": 1, "page_size": 5,
                                              "filters": {"evaluation_name": "baseline"}})
    json.dumps(sent[-1], allow_nan=False)  # strict JSON
    # errors come back as {error: message}, never as an exception or silence
    w._on_custom_msg(w, {"kind": "axis-call", "id": "x2", "action": "cases", "params": {}}, [])
    assert sent[-1]["id"] == "x2" and "metric" in sent[-1]["error"] and "result" not in sent[-1]
    w._on_custom_msg(w, {"kind": "axis-call", "id": "x3", "action": "explode"}, [])
    assert "no action" in sent[-1]["error"]
    w._on_custom_msg(w, {"kind": "something-else"}, [])  # ignored
    assert len(sent) == 3


def test_widget_state_and_fallback(store, demo_ds):
    w = Scorecard("ev", store=store)
    data, _meta = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    html = data["text/html"]
    assert f"{w.snapshot['kpis']['overall_score']:.3f}" in html and "faithfulness" in html
    # the traits a saved notebook keeps: the bundle and the last payload
    state = w.get_state()
    assert state["snapshot"]["kpis"]["test_cases"] == 150
    assert "render" in state["_esm"]
    assert static_html({}).startswith("<div")


def test_widget_factory_for_the_magic(store, demo_ds):
    w = show("scorecard", store, None, experiment="baseline", threshold="0.6")
    assert w.dataset == "ev" and w.snapshot["threshold"] == 0.6
    with pytest.raises(AxisError):
        show("scorecard", store, "ev", colour="red")
    with pytest.raises(NotFoundError):
        Scorecard("missing", store=store)


def test_jsonable():
    assert jsonable({"a": float("nan"), "b": [np.float64(1.5), np.int64(2)], "c": (1, float("inf"))}) == \
        {"a": None, "b": [1.5, 2], "c": [1, None]}


def test_records_match_row_by_row_conversion():
    """``records`` converts column by column what views send; each kind of column gives what
    converting every row with ``jsonable`` gives, and a missing timestamp is null."""
    iso = "ISO8601"
    df = pd.DataFrame({
        "i": [1, 2, 3], "f": [1.5, np.nan, np.inf], "b": [True, False, True],
        "t": pd.to_datetime(["2026-01-01", "2026-01-02 03:04:05.123", "1969-12-31T23:59:59.5"], format=iso),
        "ns": pd.to_datetime(["2026-01-01T00:00:00.000000001", "2026-01-01", "2026-01-02"], format=iso),
        "tz": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]).tz_localize("UTC"),
        "s": ["x", None, "z"], "o": [{"k": np.float64(1)}, [1, 2], None],
    })
    df["n"] = pd.array([1, None, 3], dtype="Int64")
    df["sn"] = pd.array(["a", None, "c"], dtype="string")
    df["bn"] = pd.array([True, None, False], dtype="boolean")
    assert records(df) == jsonable(df.to_dict("records"))
    assert records(df)[1]["t"] == "2026-01-02T03:04:05.123000" and records(df)[0]["t"] == "2026-01-01T00:00:00"
    gap = pd.DataFrame({"t": pd.to_datetime(["2026-01-01", None])})
    assert records(gap) == [{"t": "2026-01-01T00:00:00"}, {"t": None}]
    assert records(df.iloc[:0]) == []
    assert json.dumps(records(df), allow_nan=False)  # strict JSON


def test_empty_and_flat_datasets(store):
    flat = pd.DataFrame({"dataset_id": ["a", "b", "a"], "metric_name": ["m1", "m1", "m2"],
                         "metric_score": [0.2, 0.9, None]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(flat, name="flat", kind="evals")
    p = call_action(store, "flat", "scorecard", "payload", {})
    rows = {r["name"]: r for r in p["rows"]}
    assert rows["m1"]["level"] == 1 and rows["m1"]["type"] == "metric"
    assert rows["m2"]["mean"] is None and rows["m2"]["count"] == 0
    assert close(p["kpis"]["overall_score"], 0.55)  # m2 has no scores: not counted
    assert p["kpis"]["test_cases"] == 2 and p["chart"] is None
