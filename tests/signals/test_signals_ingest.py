"""Loading human signals: the reference's export is detected (not taken for eval-runner
output), ``source`` is read as ``source_name``, missing columns are named, and a reload or a
drop replaces or removes the cases table with the dataset."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from axis_jupyter.errors import IngestError

# The reference's 49-column axion export (reference §2.4), in its column order.
EXPORT_COLUMNS = (
    "metric_name,parent,metric_score,metric_type,weight,passed,cost_estimate,explanation,source,"
    "dataset_id,judgment,critique,conversation_extraction_strategy,acceptance_criteria,"
    "additional_input,dataset_metadata,user_tags,actual_output,retrieved_content,latency,trace,"
    "trace_id,observation_id,additional_output,actual_ranking,expected_ranking,tools_called,"
    "expected_tools,document_text,expected_reference,actual_reference,conversation,query,"
    "expected_output,conversation_stats,agent_trajectory,has_errors,metric_id,threshold,signals,"
    "metric_metadata,version,timestamp,model_name,llm_provider,metric_category,run_id,"
    "evaluation_name,evaluation_metadata").split(",")
METRIC_SIGNALS = {
    "escalation_type": lambda i: {"is_escalated": i != 1, "escalation_type": ["team_mention", "none", "manager"][i],
                                  "escalation_targets": ["team-lead"] if i != 1 else []},
    "intervention_type": lambda i: {"has_intervention": i == 0, "intervention_type": "process_override",
                                    "is_compliant": i == 2, "friction_point": "Refund Processing Time"},
    "resolution_status": lambda i: {"final_status": ["resolved", "pending", "resolved"][i], "is_resolved": i != 1,
                                    "time_to_resolution_seconds": 7200 * (i + 1)},
    "sentiment_category": lambda i: {"sentiment_category": ["frustrated", "neutral", "positive"][i]},
}


def export_rows() -> list[dict]:
    rows = []
    for i, case in enumerate(["cs-20260210-001", "cs-20260211-002", "cs-20260212-003"]):
        conv = {"messages": [{"role": "assistant", "content": f"New support case: ORDER-7843{i}\n\n*Customer*",
                              "metadata": None},
                             {"role": "user", "content": "@team-lead can we expedite this?", "metadata": None}],
                "reference_text": None}
        for metric, make in METRIC_SIGNALS.items():
            sig = {"group": "objective", "source_metric": "SupportQualityEvaluator", **make(i)}
            row = {c: "" for c in EXPORT_COLUMNS}
            row.update({
                "metric_name": metric, "metric_type": "metric", "cost_estimate": "0.003125",
                "explanation": "team_mention", "source": "atlas", "dataset_id": case,
                "conversation_extraction_strategy": "last",
                "additional_input": json.dumps({"ticket_url": "https://support.example.com/t/1",
                                                "sender": "Atlas", "message_url": f"https://chat/{i}"}),
                "retrieved_content": "[]", "conversation": json.dumps(conv),
                "conversation_stats": json.dumps({"turn_count": 5 + i, "user_message_count": 3}),
                "has_errors": "False", "metric_id": f"metric-{case}-{metric}", "threshold": "0.5",
                "signals": json.dumps(sig), "metric_metadata": json.dumps({"group": "objective", **sig}),
                "timestamp": f"2026-02-1{i} 14:30:00", "model_name": "claude-sonnet-4-5",
                "llm_provider": "anthropic", "metric_category": "classification",
                "run_id": "evaluation_a1b2c3d4", "passed": "", "evaluation_name": "support_quality_v1",
                "evaluation_metadata": "{}"})
            rows.append(row)
    return rows


def write_export(path, rows=None, drop=()):
    rows = rows or export_rows()
    cols = [c for c in EXPORT_COLUMNS if c not in drop]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_the_reference_export_is_detected_as_signals(store, tmp_path):
    ds = store.load(write_export(tmp_path / "human_signals_sample.csv"))
    info = ds.info
    assert (info["kind"], info["layout"]) == ("signals", "long")
    assert info["rows"] == 12 and info["records"] == 3
    cases = ds.cases()
    assert cases.dataset_id.tolist() == ["cs-20260210-001", "cs-20260211-002", "cs-20260212-003"]
    assert cases.source_name.tolist() == ["atlas"] * 3  # the reference's `source` column
    assert cases.business.tolist() == ["ORDER-78430", "ORDER-78431", "ORDER-78432"]
    assert cases.message_count.tolist() == [5, 6, 7] and cases.agent_name.tolist() == ["Atlas"] * 3
    assert cases.message_url.tolist() == ["https://chat/0", "https://chat/1", "https://chat/2"]
    assert cases["escalation_type__is_escalated"].tolist() == [True, False, True]
    assert cases["group"].tolist() == ["objective"] * 3  # common metadata promoted to the case
    schema = ds.signal_schema()
    sig = schema[schema.role == "signal"].set_index("column")
    assert sig.at["escalation_type__escalation_targets", "type"] == "array"
    assert sig.at["resolution_status__time_to_resolution_seconds", "type"] == "number"
    assert list(sig.at["sentiment_category__sentiment_category", "values"]) == ["frustrated", "neutral", "positive"]
    assert set(schema[schema.role == "metadata"].signal) == {"group", "source_metric"}
    kpis = ds.signal_kpis().set_index("key")
    assert kpis.at["escalation_type__is_escalated", "value"] == pytest.approx(2 / 3)
    assert kpis.at["total_cases", "value"] == 3


def test_scored_evaluation_rows_with_signals_stay_evaluations(store, tmp_path):
    rows = export_rows()
    for r in rows:
        r["metric_score"] = "0.8"
    ds = store.load(write_export(tmp_path / "scored.csv", rows))
    assert ds.info["kind"] == "evals" and ds.info["layout"] == "eval_runner"


def test_missing_required_columns_are_named_together(store, tmp_path):
    path = write_export(tmp_path / "no_source.csv", drop=("source", "metric_name"))
    with pytest.raises(IngestError) as err:
        store.load(path, kind="signals")
    msg = str(err.value)
    assert "'metric_name'" in msg and "'source_name' (or 'source')" in msg and "no_source.csv" in msg
    with pytest.raises(IngestError, match=r"needs a column 'source_name' \(or 'source'\)"):
        store.load(write_export(tmp_path / "auto.csv", drop=("source",)))  # detected, then checked
    assert store.datasets().empty  # nothing was loaded


def test_reload_replaces_and_drop_removes_the_cases_table(store, tmp_path):
    path = write_export(tmp_path / "hs.csv")
    first = store.load(path, name="hs").info["cases_table"]
    rows = export_rows()[:4]  # one case only
    second = store.load(write_export(tmp_path / "hs2.csv", rows), name="hs").info["cases_table"]
    assert first != second and len(store.dataset("hs").cases()) == 1
    names = store.read(lambda cur: {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()})
    assert second in names and first not in names
    store.drop("hs")
    names = store.read(lambda cur: {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()})
    assert second not in names


def test_python_literal_frames_and_category_dicts(store):
    df = pd.DataFrame({
        "dataset_id": ["a", "a", "b"], "metric_name": ["esc", "sent", "sent"], "source": ["S", "S", "T"],
        "signals": ["{'is_escalated': True, 'kind': None}",
                    json.dumps({"cat": {"overall": [{"name": "tone", "value": "warm"},
                                                    {"name": "tone_score", "score": 0.9}]}}),
                    str({"cat": {"overall": [{"name": "tone", "value": "cold"}]}})]})
    ds = store.load(df, name="lit")
    assert ds.info["kind"] == "signals"
    cases = ds.cases().set_index("dataset_id")
    assert cases.at["a", "esc__is_escalated"] == True  # noqa: E712 - a numpy bool
    assert cases.at["a", "sent__tone"] == "warm" and cases.at["b", "sent__tone"] == "cold"
    assert cases.at["a", "sent__tone_score"] == 0.9 and pd.isna(cases.at["b", "sent__tone_score"])
    assert cases.at["a", "business"] == "Unknown" and cases.at["a", "agent_name"] == "S"
