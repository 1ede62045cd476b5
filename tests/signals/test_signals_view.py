"""The human-signals dashboard's payload (what the view shows) against the analytics, its
charts drawn by the faces, the widget's kernel round trip, ``%axis show signals`` and the
production view's human-signals section."""

from __future__ import annotations

import json
import warnings

import pytest

from axis_jupyter import demo_signals
from axis_jupyter.errors import AxisError
from axis_jupyter.notebook import widgets
from axis_jupyter.notebook.widgets import Signals, call_action
from axis_jupyter.payloads import registry


@pytest.fixture
def hs(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(demo_signals.signal_rows(150, seed=8, category_share=0.3), name="hs")
    return store


def test_payload_numbers_match_the_analytics(hs):
    f = {"environment": "prod", "sentiment_category__sentiment_category": ["negative", "frustrated"]}
    p = registry.call_action(hs, "hs", "signals", "payload", {"filters": f})
    json.dumps(p, allow_nan=False)  # strict JSON without any face
    kpis = hs.analytic("hs", "signal_kpis", filters=f)
    assert p["total"] == int(kpis.total.iloc[0]) == int(hs.analytic("hs", "case_count", filters=f)["cases"].iloc[0])
    assert [k["key"] for k in p["kpis"]] == kpis.key.tolist()
    for k, v in zip(p["kpis"], kpis.value):
        assert k["value"] == pytest.approx(v)
    charts = [c for s in p["sections"] for c in s["charts"]]
    assert {c["type"] for c in charts} >= {"stacked_bar", "bar", "text_list", "ranked_list"}
    for c in charts:
        if c["type"] in ("bar", "stacked_bar"):
            vals = hs.analytic("hs", "signal_values", signal=c["column"], filters=f)
            assert [(x["value"], x["count"]) for x in c["items"]] == list(zip(vals.value, vals["count"]))
    page = hs.analytic("hs", "cases", filters=f, page=1, page_size=25)
    assert [r["dataset_id"] for r in p["table"]["rows"]] == page.dataset_id.tolist()
    assert p["table"]["total"] == p["total"] and len(p["table"]["defaults"]) == 7
    keys = {x["key"] for x in p["filters"]}
    assert {"source_name", "environment", "sentiment_category__sentiment_category"} <= keys


def test_the_shared_filter_bar_offers_the_dashboards_filters_and_its_chips_filter_every_panel(hs):
    """The signals view on the shared filter bar: one multi-select per filter of the display
    config (a source field takes several values now), the dataset's time range for the
    presets, and the payload's ``filters`` parameter as it was (lists, time_range)."""
    o = call_action(hs, "hs", "signals", "filter_options", {})
    fields = {f["key"]: f for f in o["fields"]}
    p0 = call_action(hs, "hs", "signals", "payload", {})
    assert list(fields) == [f["key"] for f in p0["filters"]]
    assert fields["environment"]["values"] == hs.info("hs")["filter_values"]["environment"]
    assert fields["sentiment_category__sentiment_category"]["values"] == next(
        f["options"] for f in p0["filters"] if f["key"] == "sentiment_category__sentiment_category")
    assert all(f["label"] for f in o["fields"])
    assert o["time_range"] == hs.info("hs")["time_range"]
    # two chips of one source field and a time range: every panel of the payload follows
    envs = fields["environment"]["values"][:2]
    start = str(o["time_range"][0])[:10]
    f = {"environment": envs, "time_range": [start, "2100-01-01"],
         "sentiment_category__sentiment_category": ["negative"]}
    p = call_action(hs, "hs", "signals", "payload", {"filters": f})
    n = int(hs.analytic("hs", "case_count", filters=f)["cases"].iloc[0])
    assert 0 < n < p0["total"]
    assert p["total"] == n and p["table"]["total"] == n
    kpis = hs.analytic("hs", "signal_kpis", filters=f)
    assert [k["value"] for k in p["kpis"]] == pytest.approx(kpis.value.tolist(), nan_ok=True)
    bar = next(c for s in p["sections"] for c in s["charts"] if c["type"] in ("bar", "stacked_bar"))
    vals = hs.analytic("hs", "signal_values", signal=bar["column"], filters=f)
    assert [(x["value"], x["count"]) for x in bar["items"]] == list(zip(vals.value, vals["count"]))
    # "Copy as code" (the shared action): ds.signal_kpis(...) returning the KPI strip shown
    code = call_action(hs, "hs", "signals", "code", {"analytic": "signal_kpis", "filters": f})["code"]
    ns = {"axis": hs}
    exec(code.replace("\nds.", "\nresult = ds."), ns)
    assert ns["result"].value.tolist() == pytest.approx([k["value"] for k in p["kpis"]], nan_ok=True)


def test_every_chart_type_of_a_configured_section(hs, tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path))
    charts = [{"metric": "priority_level", "signal": "priority_level", "type": t}
              for t in ("bar", "stacked_bar", "horizontal_bar", "donut", "line")]
    charts += [{"metric": "learnings_count", "signal": "learnings", "type": "ranked_list"},
               {"metric": "feature_requests_count", "signal": "requests", "type": "text_list"},
               {"metric": "priority_level", "signal": "is_urgent", "type": "single_stat"}]
    (tmp_path / "signals_metrics.yaml").write_text(json.dumps(
        {"signals_metrics": {"chart_sections": [{"title": "All", "layout": "grid_3", "charts": charts}]}}))
    p = call_action(hs, "hs", "signals", "payload", {})  # the faces draw the named charts
    items = p["sections"][0]["charts"]
    assert [c["type"] for c in items] == [c["type"] for c in charts]
    for c in items[:5]:
        spec = p["charts"][c["id"]]
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert "arc" in json.dumps(p["charts"][items[3]["id"]])  # the donut
    stat = items[-1]
    kpi = hs.analytic("hs", "signal_kpis", config={"kpi_strip": [{"metric": "priority_level", "signal": "is_urgent"}]})
    assert stat["rate"] == pytest.approx(kpi.value.iloc[0]) and stat["total"] == 150
    ranked = hs.analytic("hs", "signal_values", signal="learnings_count__learnings", limit=8)
    assert [x["value"] for x in items[5]["items"]] == ranked.value.tolist()


def test_case_trend_and_kpi_trend_actions(hs):
    case = call_action(hs, "hs", "signals", "case", {"case_id": "cs-0000004"})
    assert case["case_id"] == "cs-0000004" and case["messages"][0]["content"].startswith("New support case")
    assert case["badges"] and all(b["color"].startswith("#") for b in case["badges"])
    trend = call_action(hs, "hs", "signals", "trend", {"signal": "priority_level__priority_level"})
    assert trend["chart"]["encoding"]["y"]["stack"] == "normalize"
    kt = call_action(hs, "hs", "signals", "kpi_trend", {"key": "escalation_type__is_escalated"})
    weeks = hs.analytic("hs", "signal_trends", signal="escalation_type__is_escalated")
    assert [r["value"] for r in kt["chart"]["datasets"]["rows"]] == pytest.approx(weeks.value.tolist())
    with pytest.raises(AxisError, match="key"):
        call_action(hs, "hs", "signals", "kpi_trend", {"key": "nope"})
    with pytest.raises(AxisError, match="no case"):
        call_action(hs, "hs", "signals", "case", {"case_id": "nope"})
    with pytest.raises(AxisError, match="page"):
        call_action(hs, "hs", "signals", "cases", {"page_size": 1000})


def test_widget_kernel_round_trip_and_static_html(hs):
    w = Signals("hs", store=hs, filters={"environment": "prod"})
    assert w.snapshot["total"] == w.snapshot["table"]["total"]
    sent = []
    w.send = lambda content, buffers=None: sent.append(content)
    params = {"page": 2, "page_size": 10, "sort_by": "timestamp", "descending": True, "filters": {"environment": "prod"}}
    w._on_custom_msg(w, {"kind": "axis-call", "id": "c1", "action": "cases", "params": params}, [])
    assert sent[-1]["result"] == call_action(hs, "hs", "signals", "cases", params)
    json.dumps(sent[-1], allow_nan=False)
    data, _ = w._repr_mimebundle_()
    assert "Human signals" in data["text/html"] and "axis-static" in data["text/html"]


def test_magic_shows_the_dashboard(ip, tmp_path):
    ip.run_line_magic("axis", f"load {demo_signals_csv(tmp_path)} --name hs")
    w = ip.run_line_magic("axis", "show signals hs environment=prod")
    assert isinstance(w, Signals) and w.params["filters"] == {"environment": "prod"}
    assert w.snapshot["dataset"] == "hs"
    assert widgets.WIDGETS["signals"] is Signals


def demo_signals_csv(tmp_path):
    from axis_jupyter import demo

    return demo.write(demo_signals.signal_rows(40, seed=2), tmp_path / "hs.csv")


def test_production_view_has_a_human_signals_section(hs):
    from axis_jupyter import demo_incidents
    from axis_jupyter.notebook.widgets import Production

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hs.load(demo_incidents.kpi_records(days=20), name="kpis", kind="kpi")
    p = call_action(hs, "kpis", "production", "payload", {"signals": "hs", "filters": {"source_name": "Nova"}})
    sec = p["signals"]
    kpis = hs.analytic("hs", "signal_kpis", filters={"source_name": "Nova"})
    assert len(sec["cards"]) == 5 and sec["total"] == int(kpis.total.iloc[0])
    assert [c["value"] for c in sec["cards"]] == pytest.approx(kpis.value.head(5).tolist())
    assert p["kpi"] is not None  # the KPI section is still there
    # copy as code: the signals block gives the cards shown (segment is a KPI column only)
    f = {"source_name": "Nova", "segment": ["enterprise"]}
    p = call_action(hs, "kpis", "production", "payload", {"signals": "hs", "filters": f})
    code = call_action(hs, "kpis", "production", "code", {"signals": "hs", "filters": f})["code"]
    block = code.split("# Human Signals")[1]
    assert "signals = axis.dataset('hs')" in block and "segment" not in block
    ns = {"axis": hs}
    exec(code, ns)
    ran = eval(block.strip().splitlines()[-1], ns)
    assert ran.value.head(5).tolist() == pytest.approx([c["value"] for c in p["signals"]["cards"]])
    alone = call_action(hs, "hs", "production", "payload", {})  # a signals dataset as the view's dataset
    assert alone["signals"]["dataset"] == "hs" and alone["kpi"] is None and alone["quality"] is None
    w = Production(None, store=hs, signals="hs")
    assert "Human signals" in w._repr_mimebundle_()[0]["text/html"]
