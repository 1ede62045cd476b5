"""The deep-dive and compare view actions (the same functions the HTTP and kernel transports
call): payloads are strict JSON, numbers agree with the analytics, charts inline only
aggregated rows, and the widget classes build on the AxisView framework."""

from __future__ import annotations

import json

import pytest

from axis_jupyter.analytics import compare as C
from axis_jupyter.errors import QueryError
from axis_jupyter.notebook.widgets import call_action, widget_class


def strict(obj):
    return json.loads(json.dumps(obj, allow_nan=False))


def test_compare_payload_agrees_with_the_analytic(duck):
    p = strict(call_action(duck, "paired", "compare", "payload", {"baseline": "base", "challenger": "chal"}))
    assert p["baseline"] == "base" and p["challenger"] == "chal" and set(p["experiments"]) == {"base", "chal", "third"}
    api = duck.analytic("paired", "compare", baseline="base", challenger="chal").set_index("metric_name")
    for m in p["metrics"]:
        r = api.loc[m["metric_name"]]
        for col in ("delta", "p_value", "p_value_adjusted", "cohens_d", "ci_low", "ci_high"):
            if m[col] is None:
                assert r[col] != r[col]  # NaN in the frame, null in JSON
            else:
                assert m[col] == pytest.approx(float(r[col]))
    assert p["verdict"]["winner"] in ("challenger", "baseline", "tie")
    for chart in p["charts"].values():
        assert chart["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert all(len(rows) <= 200 for rows in chart["datasets"].values())


def test_compare_case_diff_action_matches_the_analytic(duck):
    page = strict(call_action(duck, "paired", "compare", "cases",
                              {"baseline": "base", "challenger": "chal", "outcome": "large", "page_size": 3, "page": 2}))
    api = duck.analytic("paired", "case_diff", baseline="base", challenger="chal", outcome="large",
                        page_size=3, page=2)
    assert [r["case_id"] for r in page["rows"]] == api.case_id.tolist()
    assert page["total"] == int(api.total.iloc[0]) and page["page"] == 2
    r = page["rows"][0]
    assert r["query"].startswith("question") and r["metrics"] and "delta" in r["metrics"][0]


def test_compare_other_actions(duck):
    for action in ("distribution", "scatter", "agreement"):
        out = strict(call_action(duck, "paired", "compare", action, {}))
        assert out["chart"]["datasets"]
    sc = call_action(duck, "paired", "compare", "scatter", {"metric": "m_cont", "baseline": "base", "challenger": "chal"})
    assert sc["points"] == 60
    md = call_action(duck, "paired", "compare", "export", {"format": "markdown", "baseline": "base", "challenger": "chal"})
    assert md["filename"].endswith(".md") and md["text"].startswith("# chal vs base")
    with pytest.raises(QueryError, match="unknown parameter"):
        call_action(duck, "paired", "compare", "payload", {"bogus": 1})


def test_compare_needs_two_experiments(store):
    import pandas as pd

    store.load(pd.DataFrame({"dataset_id": ["a", "b"], "metric_name": ["m", "m"], "metric_score": [0.1, 0.2]}),
               name="one", kind="evals")
    out = call_action(store, "one", "compare", "payload", {})
    assert out["need_experiments"] is True and out["experiments"] == ["Experiment 1"]


def test_deepdive_actions(duck):
    p = strict(call_action(duck, "paired", "deepdive", "payload", {}))
    assert p["kpis"]["test_cases"] == 300 and 0 <= p["kpis"]["pass_rate"] <= 1
    assert set(p["metadata_keys"]) == {"tier", "lang"}
    ln = strict(call_action(duck, "paired", "deepdive", "length", {"metric": "m_cont"}))
    api = duck.analytic("paired", "length_analysis", metric="m_cont")
    assert [r["count"] for r in ln["rows"]] == api["count"].tolist()
    tu = strict(call_action(duck, "paired", "deepdive", "turns", {}))
    assert sum(r["count"] for r in tu["rows"]) > 0 and tu["chart"]
    md = strict(call_action(duck, "paired", "deepdive", "metadata", {"key": "tier", "threshold": 0.4}))
    assert {r["value"] for r in md["rows"]} == {"gold", "silver", "bronze"}
    tr = strict(call_action(duck, "paired", "deepdive", "tradeoffs", {"x": "m_cont", "y": "m_missing", "trendline": True}))
    assert tr["points"] == 100  # base 60 + chal 40 records with both
    assert len(tr["charts"]["scatter"]["datasets"]["rows"]) == tr["points"]
    # the correlation chart draws the matrix the payload returns, cell for cell
    assert [(r["a"], r["b"], r["v"]) for r in tr["charts"]["correlation"]["datasets"]["rows"]] == \
        [(c["metric_x"], c["metric_y"], c["r"]) for c in tr["correlation"]] and len(tr["correlation"]) > 1
    di = strict(call_action(duck, "paired", "deepdive", "distribution", {"metrics": ["m_cont"]}))
    assert {r["group"] for r in di["rows"]} == {"base", "chal", "third"}
    case = strict(call_action(duck, "paired", "deepdive", "case", {"dataset_id": "c0003"}))
    assert [e["evaluation_name"] for e in case["experiments"]] == ["base", "chal", "third"]
    fields = case["experiments"][0]["fields"]
    assert fields["retrieved_content"] == ["doc a", "doc b"] and fields["expected_output"] == "reference for c0003"
    lst = call_action(duck, "paired", "deepdive", "cases", {"search": "c000", "limit": 3})
    assert [r["dataset_id"] for r in lst["rows"]] == ["c0000", "c0001", "c0002"]


def test_widgets_build(duck):
    from axis_jupyter import CompareView, DeepDiveView

    w = CompareView("paired", store=duck, baseline="base", challenger="chal")
    assert w.snapshot["baseline"] == "base" and "chal vs base" in w.static_html()
    reply = w.handle_call({"kind": "axis-call", "id": "1", "action": "cases", "params": {"page_size": 2,
                                                                                     "baseline": "base", "challenger": "chal"}})
    assert reply["id"] == "1" and len(reply["result"]["rows"]) == 2
    d = DeepDiveView("paired", store=duck)
    assert d.snapshot["kpis"]["test_cases"] == 300 and "deep dive" in d.static_html()
    assert widget_class("deepdive") is DeepDiveView and widget_class("compare") is CompareView
    # experiments preselected as "a,b" (as %axis show passes them); a bad threshold is named
    d = DeepDiveView("paired", store=duck, experiment="base, chal", threshold="0.7")
    assert d.params == {"filters": {"evaluation_name": ["base", "chal"]}, "threshold": 0.7}
    assert d.snapshot["kpis"]["test_cases"] == 300
    with pytest.raises(QueryError, match="threshold must be a number, got 'high'"):
        DeepDiveView("paired", store=duck, threshold="high")


def test_deepdive_violin_paged_cases_and_tree(duck):
    import pandas as pd

    vi = strict(call_action(duck, "paired", "deepdive", "distribution", {"metrics": ["m_cont"], "kind": "violin"}))
    assert vi["kind"] == "violin" and vi["chart"]["datasets"]["rows"] == vi["density"]
    for g in ("base", "chal", "third"):
        d = [r["density"] for r in vi["density"] if r["group"] == g]
        assert len(d) == 22 and sum(d) == pytest.approx(1.0)
    with pytest.raises(QueryError, match="kind"):
        call_action(duck, "paired", "deepdive", "distribution", {"kind": "pie"})
    pg = strict(call_action(duck, "paired", "deepdive", "cases", {"page": 2, "page_size": 7, "search": "c00"}))
    all_ids = call_action(duck, "paired", "deepdive", "cases", {"search": "c00", "limit": 5000})["rows"]
    assert pg["total"] == len(all_ids) and [r["dataset_id"] for r in pg["rows"]] == \
        [r["dataset_id"] for r in all_ids[7:14]]
    case = call_action(duck, "paired", "deepdive", "case", {"dataset_id": pg["rows"][0]["dataset_id"]})
    scores = pd.Series([m["metric_score"] for e in case["experiments"] for m in e["metrics"]], dtype="float64")
    assert pg["rows"][0]["mean_score"] == pytest.approx(scores.mean())
    ag = strict(call_action(duck, "paired", "deepdive", "tree", {}))
    assert ag["mode"] == "aggregated" and ag["rows"] and "hist" in ag["rows"][0]
    ind = strict(call_action(duck, "paired", "deepdive", "tree", {"mode": "individual", "dataset_id": "c0003"}))
    assert ind["dataset_id"] == "c0003" and "c0003" in ind["case_ids"]
