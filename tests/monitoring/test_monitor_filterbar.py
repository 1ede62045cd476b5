"""The monitor on the shared filter bar: several values of a column at once (the chips),
and "Copy as code" giving the ``ds.pass_rates(...)`` call that returns the per-metric pass
rates the view shows, over the window the view resolved (checked against pandas)."""

from __future__ import annotations

import pandas as pd
import pytest

from axis_jupyter.notebook.widgets import call_action


def test_multi_value_filters_and_copy_as_code(mstore, mon_frame):
    envs = sorted(mon_frame.environment.dropna().unique())[:2]
    assert len(envs) == 2
    filters = {"environment": envs}
    p = call_action(mstore, "mon", "monitor", "payload", {"time": "7d", "granularity": "day", "filters": filters})
    end = mon_frame.timestamp.max().floor("h") + pd.Timedelta(hours=1)  # presets snap to hours
    df = mon_frame[mon_frame.environment.isin(envs) & (mon_frame.timestamp >= end - pd.Timedelta(hours=168))]
    s = df[(df.metric_category == "SCORE") & df.metric_score.notna()]
    assert p["kpis"]["scores"] == len(s)
    assert p["kpis"]["avg_score"] == pytest.approx(s.metric_score.mean())
    shown = {r["metric_name"]: r["pass_rate"] for r in p["pass_rates"]}
    assert shown == pytest.approx(s.groupby("metric_name").metric_score.apply(lambda x: (x >= 0.5).mean()).to_dict())

    # the scope the view resolved (filters plus the 7-day window) is what the code filters on
    assert p["scope"]["environment"] == envs and len(p["scope"]["time_range"]) == 2
    code = call_action(mstore, "mon", "monitor", "code",
                       {"analytic": "pass_rates", "args": {"threshold": p["threshold"]}, "filters": p["scope"]})["code"]
    assert "ds.pass_rates(" in code and "environment=" in code and "time_range=" in code
    ns = {"axis": mstore}
    exec(code.replace("\nds.", "\nresult = ds."), ns)
    got = ns["result"].set_index("metric_name")["pass_rate"].to_dict()
    assert got == pytest.approx(shown, abs=1e-12)


def test_filter_bar_fields_are_the_monitors_columns(mstore, mon_frame):
    o = call_action(mstore, "mon", "monitor", "filter_options", {})
    fields = {f["key"]: f["values"] for f in o["fields"]}
    assert fields["environment"] == sorted(mon_frame.environment.dropna().unique())
    assert "metric_category" not in fields and "dataset_id" not in fields


def test_production_filter_bar_spans_both_datasets(mstore, mon_frame, kpi_frame):
    o = call_action(mstore, "mon", "production", "filter_options", {"kpi": "kpi"})
    fields = {f["key"]: f["values"] for f in o["fields"]}
    # segment lives in the KPI data only, source_component in the monitoring data only;
    # a column both have offers the values of both
    assert fields["segment"] == sorted(kpi_frame.segment.dropna().unique())
    assert fields["source_component"] == sorted(mon_frame.source_component.dropna().unique())
    assert fields["source_name"] == sorted(set(kpi_frame.source_name.dropna()) | set(mon_frame.source_name.dropna()))
    assert "metric_name" not in fields and "kpi_name" not in fields

    # several segments at once: each KPI card counts the rows pandas keeps; the quality
    # section (no segment column) is unchanged
    segs = fields["segment"][:2]
    p_all = call_action(mstore, "mon", "production", "payload", {"kpi": "kpi"})
    p = call_action(mstore, "mon", "production", "payload", {"kpi": "kpi", "filters": {"segment": segs}})
    sub = kpi_frame[kpi_frame.segment.isin(segs) & kpi_frame.numeric_value.notna()]
    cards = {x["kpi_name"]: x for c in p["kpi"]["categories"] for x in c["kpis"]}
    assert {k: c["record_count"] for k, c in cards.items()} == sub.groupby("kpi_name").size().to_dict()
    same = ("total_metrics", "avg_score", "pass_rate")  # freshness ages with the clock
    assert {k: p["quality"]["summary"][k] for k in same} == pytest.approx({k: p_all["quality"]["summary"][k] for k in same})
    rows = lambda q: [(r["key"], r["count"], r["records"], r["health"]) for r in q["quality"]["hierarchy"]]  # noqa: E731
    assert rows(p) == rows(p_all)  # sums in another order may differ in the last bit: approx
    assert [r["score"] for r in p["quality"]["hierarchy"]] == pytest.approx([r["score"] for r in p_all["quality"]["hierarchy"]])


def test_production_copy_as_code_gives_the_cards_and_scorecard_shown(mstore, mon_frame, kpi_frame):
    src = sorted(set(kpi_frame.source_name.dropna()) & set(mon_frame.source_name.dropna()))[:2]
    segs = sorted(kpi_frame.segment.dropna().unique())[:2]
    assert src and segs
    filters = {"source_name": src, "segment": segs}
    p = call_action(mstore, "mon", "production", "payload", {"kpi": "kpi", "filters": filters})
    out = call_action(mstore, "mon", "production", "code", {"kpi": "kpi", "filters": filters,
                                                             "analytic": "production"})["code"]
    # one call per section on its own dataset; segment is a KPI column only, so the
    # scorecard's call leaves it out as the section does
    assert "kpis = axis.dataset('kpi')" in out and "quality = axis.dataset('mon')" in out
    assert "kpis.kpi_panels(" in out and "quality.hierarchy(" in out
    assert "segment=" in out.split("quality.hierarchy(")[0] and "segment" not in out.split("quality.hierarchy(")[1]
    ns = {"axis": mstore}
    exec(out, ns)
    cards = {x["kpi_name"]: x for c in p["kpi"]["categories"] for x in c["kpis"]}
    ran = mstore.dataset("kpi").kpi_panels(source_name=src, segment=segs).set_index("kpi_name")
    # the code as given, executed line by line: the expressions are the last lines of each block
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith("#")]
    got_kpi = eval(lines[1], ns).set_index("kpi_name")
    got_q = eval(lines[3], ns)
    assert got_kpi["card_value"].to_dict() == pytest.approx({k: c["card_value"] for k, c in cards.items()})
    assert got_kpi["record_count"].to_dict() == {k: c["record_count"] for k, c in cards.items()}
    assert got_kpi["card_value"].to_dict() == pytest.approx(ran["card_value"].to_dict())
    shown = p["quality"]["hierarchy"]
    assert [(r.key, r.records) for r in got_q.itertuples()] == [(r["key"], r["records"]) for r in shown]
    scores = [None if pd.isna(v) else v for v in got_q["score"]]  # classification leaves have none
    assert [v is None for v in scores] == [r["score"] is None for r in shown]
    assert [v for v in scores if v is not None] == pytest.approx([r["score"] for r in shown if r["score"] is not None])
    # and against pandas: the records of each source the scorecard lists
    m = mon_frame[mon_frame.source_name.isin(src)]
    per_source = {r["source_name"]: r["records"] for r in p["quality"]["hierarchy"] if r["level"] == "source"}
    assert per_source == m[m.metric_name.notna()].groupby("source_name").size().to_dict()


def test_production_code_names_a_bad_filters_parameter(mstore):
    from axis_jupyter.errors import ParameterError

    with pytest.raises(ParameterError) as e:
        call_action(mstore, "mon", "production", "code", {"kpi": "kpi", "filters": "Atlas"})
    assert "filters" in str(e.value)
