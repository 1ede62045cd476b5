"""The human-signals display config: generated as the reference does, overridden by
``signals_metrics.yaml`` (checked, errors naming the key) and per call."""

from __future__ import annotations

import pytest
import yaml

from axis_jupyter.analytics import signal_kpis as K
from axis_jupyter.analytics import signals as S
from axis_jupyter.errors import ConfigError
from axis_jupyter.signals import display, settings

SCHEMA = {
    "metrics": {
        "escalation": {"category": "classification", "signals": ["is_escalated", "escalation_type", "wait_time", "csat_score"],
                       "signal_types": {"is_escalated": "boolean", "escalation_type": "string",
                                        "wait_time": "number", "csat_score": "number"},
                       "values": {"escalation_type": ["manager", "none", "team"]},
                       "n_values": {"escalation_type": 3},
                       "columns": {}},
        "feedback": {"category": "classification",
                     "signals": ["is_compliant", "suggested_action", "learnings", "categories", "note", "flag"],
                     "signal_types": {"is_compliant": "boolean", "suggested_action": "string", "learnings": "array",
                                      "categories": "array", "note": "string", "flag": "boolean"},
                     "values": {"suggested_action": ["a", "b"], "note": [f"n{i}" for i in range(100)]},
                     "n_values": {"suggested_action": 2, "note": 4000}, "columns": {}},
        "sentiment": {"category": "classification", "signals": ["sentiment", "cause"],
                      "signal_types": {"sentiment": "string", "cause": "string"},
                      "values": {"sentiment": ["neg", "pos"], "cause": ["x", "y", "z"]},
                      "n_values": {"sentiment": 2, "cause": 3}, "columns": {}},
    },
    "metadata_keys": ["group"], "metadata_types": {"group": "string"},
    "source_fields": ["source_name", "environment"], "has_timestamp": True,
}


def test_generated_config_follows_the_reference_rules():
    cfg = display.generate(SCHEMA)
    strip = cfg["kpi_strip"]
    assert [k.get("signal", k.get("aggregate")) for k in strip] == \
        ["is_escalated", "is_compliant", "wait_time", "avg_message_count", "total_cases"]  # not `flag`, not *_score
    assert strip[1]["icon"] == "shield-check" and strip[1]["highlight"] is True
    assert strip[0]["icon"] == "alert-triangle" and strip[0]["format"] == "percent"
    assert strip[2] == {"metric": "escalation", "signal": "wait_time", "label": "Wait Time", "aggregation": "median",
                        "format": "duration", "icon": "clock", "key": "escalation__wait_time"}
    sections = cfg["chart_sections"]
    assert [s["title"] for s in sections] == ["Outcome Distribution", "Root Cause Analysis", "Insights"]
    assert sections[0]["charts"][0]["type"] == "stacked_bar" and sections[0]["layout"] == "full"
    assert [c["signal"] for c in sections[1]["charts"]] == ["sentiment", "cause"]
    assert {(c["signal"], c["type"]) for c in sections[2]["charts"]} == {
        ("suggested_action", "text_list"), ("learnings", "text_list"), ("categories", "ranked_list")}
    assert [f.get("field", f.get("signal")) for f in cfg["filters"]] == \
        ["source_name", "environment", "escalation_type", "suggested_action", "sentiment", "cause"]  # not `note`: 4000 values
    assert [c["key"] for c in cfg["table_columns"]] == [
        "dataset_id", "source_name", "business", "escalation__escalation_type", "feedback__suggested_action",
        "sentiment__sentiment", "message_count", "timestamp"]
    assert cfg["color_maps"]["escalation__escalation_type"] == {"manager": "#8B9F4F", "none": "#D4AF37",
                                                                "team": "#B8C5D3"}
    assert "feedback__note" not in cfg["color_maps"]  # only signals whose values are all known


def test_yaml_overrides_replace_parts_and_merge_colours(_config_dir):
    (_config_dir / "signals_metrics.yaml").write_text(yaml.safe_dump({"signals_metrics": {
        "visible_metrics": ["escalation", "sentiment"],
        "kpi_strip": [{"metric": "escalation", "signal": "escalation_type", "match_value": "manager",
                       "label": "Manager escalations"}, {"aggregate": "total_cases"}],
        "table_columns": [{"key": "Case_ID", "label": "Case"}, {"key": "Business"}],
        "color_maps": {"sentiment__sentiment": {"neg": "#000000"}},
    }}))
    over = settings.load()
    cfg = display.generate(SCHEMA, over)
    assert cfg["kpi_strip"][0]["format"] == "percent" and cfg["kpi_strip"][0]["key"] == "escalation__escalation_type"
    assert [c["key"] for c in cfg["table_columns"]] == ["dataset_id", "business"]  # reference names read
    assert cfg["color_maps"]["sentiment__sentiment"] == {"neg": "#000000", "pos": "#D4AF37"}
    assert not [f for f in cfg["filters"] if f.get("metric") == "feedback"]  # hidden metric
    assert [s["title"] for s in cfg["chart_sections"]] == ["Outcome Distribution", "Root Cause Analysis"]


@pytest.mark.parametrize("section, message", [
    ({"kpi_strip": [{"metric": "m", "signal": "s", "format": "pct"}]},
     "signals_metrics.yaml: kpi_strip[0].format must be one of duration, number, compact, percent, got 'pct'"),
    ({"kpi_strip": [{"aggregate": "sum_cases"}]}, "kpi_strip[0].aggregate must be one of total_cases"),
    ({"kpi_strip": [{"metric": "m", "signal": "s", "aggregation": "mode"}]}, "kpi_strip[0].aggregation must be one of"),
    ({"kpi_strip": [{"signal": "s"}]}, "kpi_strip[0].metric is required"),
    ({"chart_sections": [{"title": "x", "charts": [{"metric": "m", "signal": "s", "type": "pie"}]}]},
     "chart_sections[0].charts[0].type must be one of bar, stacked_bar"),
    ({"chart_sections": [{"title": "x", "layout": "grid_4", "charts": []}]}, "chart_sections[0].layout must be one of"),
    ({"filters": [{"type": "source"}]}, "filters[0].field is required"),
    ({"table_columns": [{"key": "dataset_id", "sortable": "yes"}]}, "table_columns[0].sortable must be true or false"),
    ({"color_maps": {"a__b": ["red"]}}, "color_maps.a__b must be a mapping"),
    ({"colour_maps": {}}, "colour_maps is not a known key"),
    ({"visible_metrics": "escalation"}, "visible_metrics must be a list of names"),
])
def test_bad_yaml_names_the_key(_config_dir, section, message):
    (_config_dir / "signals_metrics.yaml").write_text(yaml.safe_dump({"signals_metrics": section}))
    with pytest.raises(ConfigError) as err:
        settings.load()
    assert message in str(err.value)


def test_config_per_call_and_visible_kpis(ctx_for, _config_dir):
    ctx = ctx_for("hs")
    (_config_dir / "signals_metrics.yaml").write_text(yaml.safe_dump({"signals_metrics": {
        "visible_kpis": ["is_escalated", "total_cases"]}}))
    got = K.signal_kpis(ctx)
    assert got.key.tolist() == ["escalation_type__is_escalated", "total_cases"]
    per_call = K.signal_kpis(ctx, config={"kpi_strip": [{"aggregate": "avg_message_count"}]})
    assert per_call.key.tolist() == ["avg_message_count"]
    cfg = display.from_rows(S.display_config(ctx, config={"color_maps": {"x__y": {"a": "#111111"}}}).to_dict("records"))
    assert cfg["color_maps"]["x__y"] == {"a": "#111111"} and cfg["kpi_strip"][0]["signal"] == "is_escalated"
    with pytest.raises(ConfigError, match=r"config: kpi_strip\[0\]\.label must be text"):
        K.signal_kpis(ctx, config={"kpi_strip": [{"aggregate": "total_cases", "label": 3}]})
