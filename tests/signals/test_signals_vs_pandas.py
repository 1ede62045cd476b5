"""Human-signals schema, cases and every KPI against an independent pandas implementation of
the reference's rules (signals_pandas_rules.py) on generated data with every signal type, the
category-dict form, Python literals, missing values and common metadata keys, on DuckDB and
on PostgreSQL (the same Ibis expressions)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from axis_jupyter.analytics import signal_kpis as K
from axis_jupyter.analytics import signals as S
from axis_jupyter.signals import display
from axis_jupyter.signals import schema as schema_mod

import signals_pandas_rules as R

FILTERS = [None, {"source_name": "Atlas"}, {"environment": ["prod"], "time_range": ["2026-01-19", "2026-03-02"]},
           {"sentiment_category__sentiment_category": ["negative", "frustrated"]},
           {"escalation_type__is_escalated": True}]


@pytest.fixture(scope="module")
def expected(hs_frame):
    sch = R.schema(hs_frame)
    return sch, R.cases(hs_frame, sch)


def _filter(cs: pd.DataFrame, filters: dict | None) -> pd.DataFrame:
    for key, value in (filters or {}).items():
        if key == "time_range":
            lo, hi = (pd.Timestamp(v) for v in value)
            ts = pd.to_datetime(cs.timestamp)
            cs = cs[(ts >= lo) & (ts < hi)]
        elif isinstance(value, list):
            cs = cs[cs[key].isin(value)]
        else:
            cs = cs[cs[key].map(lambda v: v is not None and not (isinstance(v, float) and math.isnan(v)) and v == value)]
    return cs


def _same(a, b, col) -> bool:
    na = a is None or (not isinstance(a, (list, dict, str)) and pd.isna(a))
    nb = b is None or (not isinstance(b, (list, dict, str)) and pd.isna(b))
    if na or nb:
        return na and nb
    if isinstance(b, bool) or isinstance(a, (bool, np.bool_)):
        return bool(a) == bool(b)
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(b, pd.Timestamp) or isinstance(a, pd.Timestamp):
        return pd.Timestamp(a) == pd.Timestamp(b)
    if isinstance(b, str) and b[:1] in ("[", "{") and isinstance(a, str) and a[:1] in ("[", "{"):
        return json.loads(a) == json.loads(b)
    return a == b


def test_schema(ctx_for, expected):
    sch, _ = expected
    got = schema_mod.from_frame(S.signal_schema(ctx_for("hs")))
    assert got["metadata_keys"] == sch["metadata_keys"] == ["group", "source_metric"]
    assert got["metadata_types"] == sch["metadata_types"]
    assert got["source_fields"] == sch["source_fields"] and got["has_timestamp"] is True
    assert list(got["metrics"]) == list(sch["metrics"])
    for m, spec in sch["metrics"].items():
        g = got["metrics"][m]
        assert g["category"] == spec["category"], m
        assert g["signals"] == spec["signals"], m  # first-seen order
        assert g["signal_types"] == spec["signal_types"], m
        assert g["values"] == spec["values"], m
        assert g["n_values"] == spec["n_values"], m
    # what the awkward rows exercise
    misc = got["metrics"]["misc"]
    assert misc["signal_types"]["mixed"] == "string" and "5" in misc["values"]["mixed"]
    assert misc["signal_types"]["tags"] == "array" and misc["signal_types"]["a.b"] == "number"
    assert "orphan_key" in misc["signals"] and misc["category"] == "classification"
    assert got["metrics"]["sentiment_category"]["signal_types"]["sentiment_score"] == "number"
    assert "analysis" not in got["metrics"]["sentiment_category"]["signals"]  # category dicts expand


def test_cases(ctx_for, expected):
    sch, exp = expected
    got = S.cases(ctx_for("hs"))
    assert list(got.columns) == list(exp.columns)
    assert got.dataset_id.tolist() == exp.dataset_id.tolist()
    for col in exp.columns:
        bad = [(i, a, b) for i, (a, b) in enumerate(zip(got[col].tolist(), exp[col].tolist()))
               if not _same(a, b, col)]
        assert not bad, f"{col}: {bad[:3]}"
    by = got.set_index("dataset_id")
    assert by.at["x-1", "misc__num"] == 3.5 and not by.at["x-1", "misc__flag"]  # the last row wins
    assert by.at["x-1", "misc__dup"] == 2 and by.at["x-1", "agent_name"] == "Human Bob"
    assert by.at["x-1", "business"] == "INV-9" and by.at["x-2", "business"] == "First line here"
    assert pd.isna(by.at["x-2", "misc__flag"]) and json.loads(by.at["x-2", "misc__tags"]) == ["p", "q"]
    assert by.at["x-2", "message_count"] == 4 and by.at["x-3", "message_count"] == 0
    assert by.at["x-3", "business"] == "Unknown" and by.at["x-4", "sentiment_category__sentiment_score"] == 0.25


@pytest.mark.parametrize("filters", FILTERS)
def test_kpis(ctx_for, expected, filters):
    _, exp = expected
    cs = _filter(exp, filters)
    got = K.signal_kpis(ctx_for("hs"), filters=filters)
    strip = display.from_rows(S.display_config(ctx_for("hs")).to_dict("records"))["kpi_strip"]
    assert [k["label"] for k in strip] == got.label.tolist()
    assert {"rate", "aggregation", "aggregate"} <= set(got.kind)
    for k, row in zip(strip, got.to_dict("records")):
        value, true, present = R.kpi(cs, k)
        assert row["total"] == len(cs)
        assert row["present"] == present, k
        if value is None:
            assert row["value"] is None or pd.isna(row["value"]), k
        else:
            assert row["value"] == pytest.approx(value, rel=1e-9, abs=1e-12), k
        if true is not None:
            assert row["true_count"] == true
        if "metric" in k:  # weekly sparkline: weeks where some case has the signal
            weeks = [(w.strftime("%Y-%m-%d"), v) for w, v, _n, p in R.kpi_weeks(cs, k) if p > 0]
            assert [p["date"] for p in row["sparkline"]] == [w for w, _ in weeks], k
            for p, (_, v) in zip(row["sparkline"], weeks):
                assert p["value"] == pytest.approx(v, rel=1e-9), k


@pytest.mark.parametrize("how", ["mean", "median", "sum", "min", "max", "count", "p95"])
def test_numeric_kpi_aggregations_and_match_values(ctx_for, expected, how):
    _, exp = expected
    config = {"kpi_strip": [
        {"metric": "resolution_status", "signal": "time_to_resolution_seconds", "aggregation": how,
         "format": "duration"},
        {"metric": "resolution_status", "signal": "final_status", "match_value": "RESOLVED", "format": "percent"},
        {"metric": "escalation_type", "signal": "is_escalated", "format": "number"},
        {"metric": "nope", "signal": "missing"},
        {"aggregate": "avg_message_count"}]}
    got = K.signal_kpis(ctx_for("hs"), config=config, filters={"source_name": "Nova"})
    cs = _filter(exp, {"source_name": "Nova"})
    for k, row in zip(config["kpi_strip"], got.to_dict("records")):
        k = dict(k)
        if "metric" in k and "aggregation" not in k:
            k.setdefault("format", "percent")
        value, _, _ = R.kpi(cs, k)
        if value is None:
            assert pd.isna(row["value"])
        else:
            assert row["value"] == pytest.approx(value, rel=1e-9), k


@pytest.mark.parametrize("filters", FILTERS[:3])
def test_trends_of_every_kpi(ctx_for, expected, filters):
    _, exp = expected
    cs = _filter(exp, filters)
    strip = display.from_rows(S.display_config(ctx_for("hs")).to_dict("records"))["kpi_strip"]
    got = K.signal_trends(ctx_for("hs"), filters=filters)
    for k in strip:
        if "metric" not in k:
            continue
        g = got[got.key == f"{k['metric']}__{k['signal']}"]
        weeks = R.kpi_weeks(cs, k)
        assert pd.to_datetime(g.bucket).tolist() == [w for w, *_ in weeks], k
        assert g["count"].astype(int).tolist() == [n for _w, _v, n, _p in weeks]
        for v, (_w, ev, _n, p) in zip(g["value"], weeks):
            want = 0.0 if ev is None and "aggregation" not in k else ev
            if want is None:
                assert pd.isna(v)
            else:
                assert v == pytest.approx(want, rel=1e-9)


def test_trend_of_a_string_signal(ctx_for, expected):
    _, exp = expected
    col = "priority_level__priority_level"
    got = K.signal_trends(ctx_for("hs"), signal=col)
    cs = exp[exp.timestamp.notna()]
    ct = pd.crosstab(R.week(cs.timestamp), cs[col])
    piv = got.assign(bucket=pd.to_datetime(got.bucket)).pivot_table(
        index="bucket", columns="category", values="value", aggfunc="sum").fillna(0)
    totals = cs.groupby(R.week(cs.timestamp)).size()
    np.testing.assert_allclose(piv[ct.columns].to_numpy(), (ct.T / totals).T.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("filters", FILTERS[:4])
def test_value_counts(ctx_for, expected, filters):
    sch, exp = expected
    cs = _filter(exp, filters)
    got = K.signal_values(ctx_for("hs"), filters=filters)
    strings = [f"{m}__{s}" for m, spec in sch["metrics"].items() for s in spec["signals"]
               if spec["signal_types"][s] == "string" and spec["values"].get(s)]
    assert list(dict.fromkeys(got.column)) == [c for c in strings if len(R.value_counts(cs, c))]
    for col in strings:
        g = got[got.column == col]
        e = R.value_counts(cs, col).sort_values(["count", "value"], ascending=[False, True])
        assert g.value.tolist() == e.value.tolist(), col
        assert g["count"].tolist() == e["count"].tolist()
        np.testing.assert_allclose(g.share, e["count"] / len(cs))


@pytest.mark.parametrize("col", ["learnings_count__learnings", "has_actionable_feedback__categories",
                                 "misc__tags"])
def test_array_items_ranked_and_recent(ctx_for, expected, col):
    _, exp = expected
    e = R.value_counts(exp, col, array=True)
    got = K.signal_values(ctx_for("hs"), signal=col, limit=4)
    top = e.sort_values(["count", "value"], ascending=[False, True]).head(4)
    assert got.value.tolist() == top.value.tolist() and got["count"].tolist() == top["count"].tolist()
    recent = K.signal_values(ctx_for("hs"), signal=col, recent=True)
    newest = e.sort_values(["latest", "value"], ascending=[False, True])
    assert recent.value.tolist() == newest.value.tolist()


def test_case_paging_sorting_and_search(ctx_for, expected):
    _, exp = expected
    ctx = ctx_for("hs")
    col = "resolution_status__time_to_resolution_seconds"
    page, total = S.case_page(ctx, sort_by=col, descending=True, page=2, page_size=25,
                              columns=["dataset_id", col], filters={"environment": "prod"})
    cs = _filter(exp, {"environment": "prod"})
    order = cs.assign(_k=cs[col].astype(float)).sort_values(["_k", "dataset_id"], ascending=[False, True],
                                                            na_position="last")
    assert total == len(cs) and list(page.columns) == ["dataset_id", col]
    assert page.dataset_id.tolist() == order.dataset_id.iloc[25:50].tolist()
    found, n = S.case_page(ctx, search="inv-9", page=1, page_size=10)
    assert n == 1 and found.dataset_id.tolist() == ["x-1"]


def test_one_case(ctx_for, expected):
    _, exp = expected
    rows = S.signal_case(ctx_for("hs"), "cs-0000007")
    sig = rows[rows.part == "signal"]
    case = exp.set_index("dataset_id").loc["cs-0000007"]
    for r in sig.to_dict("records"):
        want = case[f"{r['metric_name']}__{r['key']}"]
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert pd.isna(r["value"])
        elif r["type"] == "boolean":
            assert r["value"] == ("true" if want else "false")
        elif r["type"] == "number":
            assert float(r["value"]) == pytest.approx(float(want))
        elif r["type"] in ("array", "object"):
            assert json.loads(r["value"]) == json.loads(want)
        else:
            assert r["value"] == want
    msgs = rows[rows.part == "message"]
    assert msgs.key.tolist()[:2] == ["assistant", "user"] and msgs.value.iloc[0].startswith("New support case:")
    assert rows[(rows.part == "field") & (rows.key == "business")].value.iloc[0] == case["business"]
