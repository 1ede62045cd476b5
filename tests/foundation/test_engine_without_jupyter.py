"""The engine runs without Jupyter: a script that loads the demo data, runs every registered
analytic and every view action imports none of IPython, ipywidgets, anywidget, Altair,
jupyter_server or tornado (``lint-imports`` checks the imports; this checks what a real
run loads, lazy imports included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r'''
import json, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
import axis_jupyter
from axis_jupyter import demo, demo_incidents, demo_signals
from axis_jupyter.analytics import registry
from axis_jupyter.evals.runs import wait_run
from axis_jupyter.payloads import call_action, views

axis = axis_jupyter.connect(":memory:")
demo.load_demo(axis, n_cases=30, n_records=300, seed=1)
demo_incidents.load_incident_demo(axis, n_records=1500, days=14, seed=1, kpi_days=30)
axis.load(pd.DataFrame({"dataset_id": ["a", "b", "c", "d"], "metric_name": "tone",
                        "metric_score": [0.2, 0.9, 0.6, 0.4],
                        "metadata": ['{"tier": "gold"}', '{"tier": "free"}', '{"tier": "gold"}',
                                     '{"tier": "free"}']}),
          name="with_metadata", kind="evals")
from axis_jupyter.graph.demo import rules_frame
axis.load(rules_frame(60, seed=1), name="demo_rules", kind="rules")
demo_signals.load_signals_demo(axis, n_cases=40, seed=1)
DATASET = {"evals": "demo_evals", "monitoring": "incident_monitoring", "kpi": "incident_kpi",
           "rules": "demo_rules", "signals": "demo_signals"}
first = lambda query: axis.sql(query).iloc[:, 0].tolist()
M1, M2 = first("SELECT DISTINCT metric_name FROM demo_evals ORDER BY 1 LIMIT 2")
B, C = first("SELECT DISTINCT evaluation_name FROM demo_evals ORDER BY 1 LIMIT 2")
CASE = first("SELECT min(dataset_id) FROM demo_evals")[0]
RECORD = first("SELECT min(dataset_id) FROM incident_monitoring")[0]
MON_METRIC = first("SELECT min(metric_name) FROM incident_monitoring")[0]
KPI = first("SELECT min(kpi_name) FROM incident_kpi")[0]
EVAL_PAIR = {"baseline": B, "challenger": C}
ANALYTIC_PARAMS = {
    "scatter": {"x": M1, "y": M2},
    "compare": EVAL_PAIR, "win_loss": EVAL_PAIR, "case_diff": EVAL_PAIR,
    "paired_scores": {"metric": M1, **EVAL_PAIR},
    "metadata_breakdown": {"key": "tier"},
    "case_detail": {"dataset_id": CASE},
    "rule_trace": {"rule_id": "R000001"},
    "signal_case": {"case_id": "cs-0000001"},
}
ON_METADATA = {"metadata_keys", "metadata_breakdown"}
analytics = 0
for name, a in registry.load_all().items():
    kind = next(k for k in a.kinds if k in DATASET)
    axis.analytic("with_metadata" if name in ON_METADATA else DATASET[kind], name,
                  **ANALYTIC_PARAMS.get(name, {}))
    analytics += 1

monitor = {"filters": {}, "time": "all"}
setup = call_action(axis, None, "runner", "setup", {"source": "demo_evals"})
# an earlier run of the same dataset, for the runner's "compare" action
from axis_jupyter.evals.runs import start_run
assert wait_run(start_run(axis, "demo_evals", ["contains"], mapping=setup["mapping"],
                          name="earlier_run"), timeout=120)["state"] == "succeeded"
ACTION_PARAMS = {
    ("scorecard", "cases"): {"metric": M1},
    ("deepdive", "metadata"): {"key": "tier"},
    ("deepdive", "case"): {"dataset_id": CASE},
    ("compare", "test_case"): {"case_id": CASE},
    ("scorecard", "metric_stats"): {"metric": M1},
    ("deepdive", "metric_stats"): {"metric": M1},
    ("monitor", "trace"): {"dataset_id": RECORD},
    ("production", "kpi_trend"): {"kpi_name": KPI},
    ("production", "metric_detail"): {"metric_name": MON_METRIC},
    ("runner", "setup"): {"source": "demo_evals"},
    ("signals", "case"): {"case_id": "cs-0000001"},
    ("signals", "kpi_trend"): {"key": "escalation_type__is_escalated"},
    ("runner", "start"): {"source": "demo_evals", "metrics": ["contains"], "mapping": setup["mapping"]},
    # the agent in prompt mode: the loopback LLM answers
    ("runner", "test_agent"): {"agent": {"mode": "prompt", "prompt_template": "{{query}}"}, "query": "hi"},
    ("runner", "export"): {"format": "parquet"},
    ("runner", "compare"): {"earlier": "earlier_run"},
    ("memory", "trace"): {"rule_id": "R000001"},
    ("memory", "create"): {"fields": {"id": "E1", "name": "engine rule", "action": "refer"}},
    ("memory", "update"): {"rule_id": "E1", "fields": {"action": "decline"}},
    ("memory", "delete"): {"rule_id": "E1"},
    ("memory", "graph_search"): {"text": "debt"},
    ("memory", "graph_neighbourhood"): {"node_id": "Rule:R000001"},
    ("memory", "graph_node"): {"node_id": "Rule:R000001"},
    ("graph", "search"): {"text": "debt"},
    ("graph", "neighbourhood"): {"node_id": "Rule:R000001", "depth": 2},
    ("graph", "node"): {"node_id": "Rule:R000001"},
    ("annotate", "label"): {"record_id": first("SELECT min(evaluation_name || '/' || dataset_id) FROM demo_evals")[0],
                            "judgment": 1, "critique": "fine"},
    ("calibrate", "save_judge"): {"judge": {"name": "engine_test"}},
    # the data manager: stage a small file, preview and load it, stage another to discard,
    # delete what was loaded
    ("datasets", "stage"): {"filename": "s.csv", "data": __import__("base64").b64encode(
        b"dataset_id,metric_name,metric_score\nc1,m,0.5\nc2,m,0.7\n").decode()},
    ("datasets", "commit"): {"name": "staged_ds"},
    ("datasets", "delete"): {"name": "staged_ds"},
    ("copilot", "ask"): {"question": "What stands out?"},
    ("report", "start"): {"kind": "summary", "max_issues": 5},
    ("scorecard", "report_setup"): {"node": "Accuracy"},
    ("scorecard", "report_start"): {"kind": "grouped", "node": "Accuracy", "max_issues": 5},
}
# Actions that follow a job started by the action before them (the LLM is the test's
# loopback server: ANTHROPIC_BASE_URL in the environment).
FOLLOW = {"events", "cancel", "markdown", "report_events", "report_cancel", "report_markdown"}
job_id = None
ON_DATASET = {("deepdive", "metadata"): "with_metadata", ("production", "composition"): "incident_kpi",
              ("production", "kpi_trend"): "incident_kpi"}  # the production view's payload: monitoring
# The database view's browser actions and the data manager's attach need a PostgreSQL server
# (tests/sync and tests/scaleout cover them).
NEEDS_POSTGRES = {("database", a) for a in (
    "connect", "disconnect", "tables", "schema", "distinct", "preview", "query",
    "import_table", "import_query", "sync", "reset_watermark")} | {("datasets", "attach")}
# labels for the calibrate view's judge run (the annotate view's undo takes back its own)
for i, rid in enumerate(first("SELECT DISTINCT evaluation_name || '/' || dataset_id AS r "
                              "FROM demo_evals ORDER BY r LIMIT 4")):
    axis.annotations("demo_evals").set(rid, judgment=i % 2)
actions = skipped = 0
run_id = None
for view, spec in views().items():
    for action in spec.actions:
        if (view, action) in NEEDS_POSTGRES:
            skipped += 1
            continue
        params = dict(ACTION_PARAMS.get((view, action), {}))
        if view == "monitor" and action != "trace":
            params.update(monitor)
        if view == "runner" and action in ("status", "cancel"):
            params["run_id"] = run_id
        elif view == "runner" and action in ("open_run", "export", "rerun", "compare"):
            params["name"] = results  # the run "start" stored
        elif action in FOLLOW or (view, action) == ("calibrate", "status"):
            params["job_id"] = job_id
        if (view, action) in (("calibrate", "misalignment"), ("calibrate", "optimize")):
            params["run_id"] = calibration_run  # the run the calibrate view's start made
        if view == "datasets" and action in ("preview", "commit", "discard"):
            if action == "discard":
                staged = call_action(axis, None, view, "stage", ACTION_PARAMS[(view, "stage")])
            params["upload"] = staged["upload"]
        dataset = ON_DATASET.get((view, action)) or (DATASET[spec.kinds[0]] if spec.kinds else None)
        out = call_action(axis, dataset, view, action, params)
        json.dumps(out, allow_nan=False)  # JSON-ready as it is
        if (view, action) == ("datasets", "stage"):
            staged = out
        if (view, action) == ("runner", "start"):
            run_id = out["run_id"]
            done = wait_run(run_id, timeout=120)
            assert done["state"] == "succeeded"
            results = done["dataset"]
        if (view, action) == ("runner", "rerun"):
            assert wait_run(out["run_id"], timeout=120)["state"] == "succeeded"
        if "job_id" in out and action not in FOLLOW:  # a question or report: let it finish
            job_id = out["job_id"]
            assert axis.jobs.get(job_id).wait_sync(120) and axis.jobs.get(job_id).state == "succeeded"
            if (view, action) == ("calibrate", "start"):
                calibration_run = axis.jobs.get(job_id).result["run_id"]
        actions += 1

loaded = [m for m in ("IPython", "ipywidgets", "anywidget", "altair", "jupyter_server", "tornado")
          if m in sys.modules]
print(json.dumps({"loaded": loaded, "analytics": analytics, "actions": actions, "skipped": skipped,
                  "registered_analytics": len(registry.load_all()),
                  "registered_actions": sum(len(s.actions) for s in views().values())}))
'''


def test_engine_imports_no_jupyter(tmp_path, monkeypatch):
    from support.llm_server import serve_loopback

    with serve_loopback(monkeypatch):  # the copilot's and the reports' actions call a model
        env = {k: v for k, v in os.environ.items() if not k.startswith("AXIS_SERVER")}
        env["AXIS_HOME"] = str(tmp_path / "home")
        done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["loaded"] == []
    assert out["analytics"] == out["registered_analytics"] >= 30
    assert out["actions"] + out["skipped"] == out["registered_actions"]
    assert out["actions"] >= 30
