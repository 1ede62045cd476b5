"""The metric tree's leaf popup (five-number summary and 10-bin histogram against numpy and
pandas; a case's critique), and the clear message when a dataset does not suit a view
(``%axis show deepdive`` on annotations once failed with an internal AttributeError)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.errors import QueryError
from axis_jupyter.notebook.widgets import call_action


def scored(seed: int = 4) -> pd.DataFrame:
    """Two experiments, two metrics; scores on bin edges (0.1, 0.5, 1.0), outside 0-1, NaN,
    and a critique on some rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(120):
        for e in ("a", "b"):
            for m in ("tone", "faith"):
                s = float(rng.uniform(0, 1))
                if i < 6:
                    s = [0.1, 0.5, 1.0, -0.2, 1.3, float("nan")][i]
                rows.append({"dataset_id": f"c{i:03d}", "evaluation_name": e, "metric_name": m, "metric_score": s,
                             "explanation": f"why {i}", "critique": "cites nothing" if i % 5 == 0 else None})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = axis_jupyter.LocalStore(tmp_path_factory.mktemp("pop") / "pop.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.load(scored(), name="ev", kind="evals")
        s.load(pd.DataFrame({"dataset_id": ["a1", "a2", "a3"], "query": ["q1", "q2", "q3"],
                             "actual_output": ["o1", "o2", "o3"], "judgment": ["pass", "fail", "pass"]}),
               name="ann", kind="annotations")
        from axis_jupyter import demo
        s.load(demo.eval_results(10, seed=2), name="evals_only", kind="evals")
    yield s
    s.close()


@pytest.mark.parametrize("view", ["scorecard", "deepdive"])
@pytest.mark.parametrize("filters", [{}, {"evaluation_name": "b"}])
def test_five_numbers_and_histogram_match_numpy(store, view, filters):
    df = scored()
    d = df[(df.metric_name == "tone") & df.metric_score.notna()]
    if filters:
        d = d[d.evaluation_name == "b"]
    s = d.metric_score.to_numpy()
    got = call_action(store, "ev", view, "metric_stats", {"metric": "tone", "filters": filters})
    assert got["count"] == len(s)
    assert got["mean"] == pytest.approx(s.mean()) and got["std"] == pytest.approx(s.std(ddof=1))
    assert [got[k] for k in ("min", "q25", "median", "q75", "max")] == pytest.approx(
        [s.min(), *np.quantile(s, [0.25, 0.5, 0.75]), s.max()])
    want = np.bincount(np.clip(np.floor(s * 10).astype(int), 0, 9), minlength=10).tolist()
    assert got["hist"] == want and sum(want) == len(s)  # 1.0 in the last bin, -0.2 / 1.3 at the ends
    assert [b["band"] for b in got["bins"]] == ["bad"] * 5 + ["warn"] * 2 + ["good"] * 3
    assert got["critiques"] == int(d.critique.notna().sum())


def test_popup_errors_name_the_metric(store):
    with pytest.raises(QueryError, match="no scores of metric 'nope'"):
        call_action(store, "ev", "scorecard", "metric_stats", {"metric": "nope"})
    with pytest.raises(QueryError, match="needs metric"):
        call_action(store, "ev", "scorecard", "metric_stats", {})
    assert call_action(store, "evals_only", "scorecard", "metric_stats", {"metric": "tone"})["critiques"] is None


@pytest.mark.parametrize("view", ["scorecard", "deepdive"])
def test_a_case_tree_carries_its_critique(store, view):
    params = {"dataset_id": "c005"} if view == "scorecard" else {"dataset_id": "c005", "mode": "individual"}
    t = call_action(store, "ev", view, "case_tree" if view == "scorecard" else "tree", params)
    rows = {r["name"]: r for r in t["rows"]}
    assert rows["tone"]["critique"] == "cites nothing" and rows["tone"]["explanation"] == "why 5"
    leaf = next(c for c in t["tree"]["children"] if c["name"] == "tone") if t["tree"]["name"] == "Overall" \
        else t["tree"]
    assert leaf["critique"] == "cites nothing"
    other = call_action(store, "ev", view, "case_tree" if view == "scorecard" else "tree",
                        {**params, "dataset_id": "c006"})
    assert all(r.get("critique") is None for r in other["rows"])


@pytest.mark.parametrize("view, needs", [
    ("deepdive", "deepdive needs evaluation data"), ("scorecard", "scorecard needs evaluation data"),
    ("compare", "compare needs evaluation data"), ("monitor", "monitor needs monitoring data"),
])
def test_a_dataset_that_does_not_suit_a_view_says_so(store, view, needs):
    with pytest.raises(QueryError) as err:
        call_action(store, "ann", view, "payload", {})
    msg = str(err.value)
    assert msg.startswith(needs) and "'ann' is an annotations dataset" in msg
    assert "AttributeError" not in msg and "Table" not in msg


def test_monitor_on_evaluation_data_names_the_views_that_fit(store):
    with pytest.raises(QueryError) as err:
        call_action(store, "ev", "monitor", "traces", {})
    assert str(err.value) == ("monitor needs monitoring data: scored records with a timestamp (metric_name, "
                              "metric_score, timestamp); 'ev' is an evaluation dataset, which has no timestamp. "
                              "Show it with: compare, deepdive, scorecard.")


def test_magic_show_deepdive_on_annotations_prints_one_clear_line(ip, capsys):
    ip.user_ns["ann"] = pd.DataFrame({"dataset_id": ["a", "b"], "query": ["q", "r"],
                                      "actual_output": ["o", "p"], "judgment": ["pass", "fail"]})
    ip.run_line_magic("axis", "load ann --name ann")
    capsys.readouterr()
    assert ip.run_line_magic("axis", "show deepdive ann") is None
    err = capsys.readouterr().err.strip()
    assert err.startswith("AXIS error: deepdive needs evaluation data") and "\n" not in err
    assert "AttributeError" not in err
