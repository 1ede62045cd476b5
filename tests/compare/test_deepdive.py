"""Deep-dive analytics against pandas on the generated data (DuckDB and PostgreSQL):
response-length bins, conversation turns (JSON and Python-literal conversations), metadata
breakdown (JSON and Python-literal metadata), metadata keys, test-case list and panel."""

from __future__ import annotations

import ast
import json

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import deepdive as D
from axis_jupyter.errors import QueryError
from support.checks import assert_mean_or_missing


def records(df, metric=None):
    d = df.copy()
    d["score"] = d.metric_score.where(d.metric_name == metric) if metric else d.metric_score
    return d.groupby(["dataset_id", "evaluation_name"]).agg(
        text=("actual_output", "min"), conv=("conversation", "min"), score=("score", "mean")).reset_index()


def test_length_bins_match_pandas(ctx_for, frames):
    got = D.length_analysis(ctx_for("paired"), metric="m_cont")
    r = records(frames["paired"], "m_cont")
    r["bin"] = np.digitize(r.text.str.len(), D.LENGTH_EDGES) - 1
    assert got.bin_label.tolist()[:5] == ["0–100", "100–300", "300–500", "500–1000", "1000+"]
    assert set(got.group) == {"base", "chal", "third"}
    for row in got.to_dict("records"):
        sel = r[(r.evaluation_name == row["group"]) & (r.bin == row["bin"])]
        assert row["count"] == len(sel)
        assert row["scored"] == sel.score.notna().sum()
        if sel.score.notna().any():
            assert row["mean_score"] == pytest.approx(sel.score.mean())
        else:
            assert row["mean_score"] is None
    assert got["count"].sum() == len(r)


def test_length_custom_bins_and_no_group(ctx_for, frames):
    got = D.length_analysis(ctx_for("paired"), by=None, bins=[0, 500])
    assert got.group.unique().tolist() == ["Overall"] and got.bin_label.tolist() == ["0–500", "500+"]
    r = records(frames["paired"])
    assert got["count"].tolist() == [int((r.text.str.len() < 500).sum()), int((r.text.str.len() >= 500).sum())]
    with pytest.raises(QueryError):
        D.length_analysis(ctx_for("paired"), bins=[3, 1])


def _turns(text):
    obj = None
    try:
        obj = json.loads(text)
    except ValueError:
        obj = ast.literal_eval(text)
    return sum(1 for m in obj["messages"] if m["role"] == "user")


def test_turn_bins_match_parsed_conversations(ctx_for, frames):
    got = D.turn_analysis(ctx_for("paired"), metric="m_big", by=None)
    r = records(frames["paired"], "m_big")
    r["turns"] = r.conv.map(_turns)
    r["bin"] = np.digitize(r.turns, D.TURN_EDGES) - 1
    assert got.bin_label.tolist() == D.TURN_LABELS
    for row in got.to_dict("records"):
        sel = r[r.bin == row["bin"]]
        assert row["count"] == len(sel)
        assert_mean_or_missing(row["mean_score"], sel.score)


def test_turn_count_expression_on_text_forms():
    import ibis

    texts = ['{"messages": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}]}',
             "[{'role': 'human', 'content': 'a'}, {'role': 'ai', 'content': 'b'}]",
             '[{"role": "customer"}, {"role": "agent"}, {"role": "customer"}]',
             "User: hi\nBot: hello\nUser: bye", "no conversation here"]
    t = ibis.memtable({"s": texts})
    expr = t.select(n=D.turn_count_expr(t.s))
    got = ibis.duckdb.connect().execute(expr)
    assert got.n.tolist()[:4] == [2, 1, 2, 2] and pd.isna(got.n.iloc[4])


def _meta(text):
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


def test_metadata_breakdown_matches_pandas(ctx_for, frames):
    got = D.metadata_breakdown(ctx_for("paired"), key="lang", metric="m_cont", threshold=0.6)
    d = frames["paired"]
    d = d[(d.metric_name == "m_cont") & d.metric_score.notna()].copy()
    d["value"] = d.data_metadata.map(lambda s: _meta(s)["lang"])
    exp = d.groupby("value").agg(count=("metric_score", "size"), cases=("dataset_id", "nunique"),
                                 mean=("metric_score", "mean"),
                                 pass_rate=("metric_score", lambda s: (s >= 0.6).mean()))
    exp = exp.sort_values("mean", ascending=False)
    assert got.value.tolist() == exp.index.tolist()
    np.testing.assert_allclose(got["mean"], exp["mean"], rtol=1e-9)
    np.testing.assert_allclose(got["pass_rate"], exp["pass_rate"], rtol=1e-9)
    assert got["count"].tolist() == exp["count"].tolist() and got["cases"].tolist() == exp["cases"].tolist()
    assert set(got.value) == {"en", "fr", "de"}  # 'de' only in the Python-literal rows


def test_metadata_breakdown_by_group_and_bad_key(ctx_for):
    got = D.metadata_breakdown(ctx_for("paired"), key="tier", by="evaluation_name")
    assert set(got.value) == {"gold", "silver", "bronze"} and set(got.group) == {"base", "chal", "third"}
    assert got.pass_rate.between(0, 1).all()
    with pytest.raises(QueryError):
        D.metadata_breakdown(ctx_for("paired"), key="x'); drop table t; --")
    assert D.metadata_breakdown(ctx_for("paired"), key="absent").empty


def test_metadata_keys(ctx_for):
    got = D.metadata_keys(ctx_for("paired"))
    assert set(got.key) == {"tier", "lang"}
    assert set(got.set_index("key").loc["lang", "examples"]) == {"en", "fr", "de"}


def test_case_list_and_detail(ctx_for):
    ctx = ctx_for("paired")
    lst = D.case_list(ctx, search="c001", limit=5)
    assert lst.dataset_id.tolist() == ["c0010", "c0011", "c0012", "c0013", "c0014"]
    assert lst["query"].iloc[0] == "question c0010"
    det = D.case_detail(ctx, "c0010", evaluation_name="chal")
    assert set(det.evaluation_name) == {"chal"}
    assert "m_cont" in det.metric_name.tolist()
    row = det.iloc[0]
    assert row["query"] == "question c0010" and row["expected_output"] == "reference for c0010"
    assert row["retrieved_content"] == ["doc a", "doc b"]  # Python literal parsed, not eval'd
    assert row["signals"] == {"overall": [{"name": "verdict", "value": "YES"}]}
    assert row["conversation"]["messages"][0]["role"] == "user"
    both = D.case_detail(ctx, "c0010")
    assert set(both.evaluation_name) == {"base", "chal", "third"}
    with pytest.raises(QueryError, match="no test case"):
        D.case_detail(ctx, "nope")


def test_registered(duck):
    from axis_jupyter.analytics import registry

    names = registry.load_all()
    for n in ("compare", "win_loss", "case_diff", "experiments", "length_analysis", "turn_analysis",
              "metadata_breakdown", "case_detail"):
        assert n in names
    got = duck.analytic("paired", "length_analysis", metric="m_cont")
    assert len(got) == 15
