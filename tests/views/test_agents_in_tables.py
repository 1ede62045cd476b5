"""agents.yaml in the tables that list sources: the production scorecard's source rows,
the monitor's trace table and the human-signals case table carry ``agents``, the label,
role and avatar of each source they list that the registry names (the front end draws
them with ``sourceCell``, widgets/test/agents.test.js)."""

from __future__ import annotations

import base64
import warnings

import pytest

import axis_jupyter
from axis_jupyter import demo_incidents, demo_signals
from axis_jupyter.payloads import call_action

PNG = b"\x89PNG\r\n\x1a\nnot-a-real-image"


@pytest.fixture
def config(tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    (cfg / "assets" / "agents").mkdir(parents=True)
    (cfg / "assets" / "agents" / "atlas.png").write_bytes(PNG)
    (cfg / "agents.yaml").write_text(
        "- {name: Atlas, label: Atlas Support, role: Support agent, avatar: atlas.png, description: Billing}\n"
        "- {name: Nova, label: Nova Router, role: Router}\n"
        "- {name: Vega, label: Not in the data}\n")
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    return cfg


@pytest.fixture
def store(tmp_path, config):
    s = axis_jupyter.LocalStore(tmp_path / "agents.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.load(demo_incidents.monitoring_incidents(600, days=3, seed=7), name="mon", kind="monitoring")
        s.load(demo_signals.signal_rows(60, seed=2), name="hs", kind="signals")
    yield s
    s.close()


ATLAS = {"label": "Atlas Support", "role": "Support agent", "description": "Billing",
         "avatar": "data:image/png;base64," + base64.b64encode(PNG).decode()}
NOVA = {"label": "Nova Router", "role": "Router", "description": "", "avatar": None}


def test_production_scorecard_carries_its_sources_agents(store):
    q = call_action(store, "mon", "production", "payload", {})["quality"]
    sources = {r["source_name"] for r in q["hierarchy"] if r["level"] == "source"}
    assert sources == {"Atlas", "Nova", "Orion"}
    # the registered sources among those listed; Orion has no entry, Vega is not listed
    assert q["agents"] == {"Atlas": ATLAS, "Nova": NOVA}


def test_monitor_trace_page_carries_the_agents_of_its_rows(store):
    r = call_action(store, "mon", "monitor", "traces", {"time": "all", "page_size": 50})
    listed = {row["source_name"] for row in r["rows"]}
    assert r["agents"] == {k: v for k, v in {"Atlas": ATLAS, "Nova": NOVA}.items() if k in listed}
    one = call_action(store, "mon", "monitor", "traces", {"time": "all", "filters": {"source_name": "Orion"}})
    assert one["rows"] and one["agents"] == {}  # an unregistered source: none


def test_signals_case_table_carries_the_agents_of_its_page(store):
    p = call_action(store, "hs", "signals", "payload", {"filters": {"source_name": ["Atlas"]}})
    assert {r["source_name"] for r in p["table"]["rows"]} == {"Atlas"}
    assert p["table"]["agents"] == {"Atlas": ATLAS}
    page = call_action(store, "hs", "signals", "cases", {"filters": {"source_name": ["Nova"]}, "page_size": 10})
    assert page["agents"] == {"Nova": NOVA}


def test_a_bad_agents_yaml_leaves_the_tables_unlabelled_not_broken(store, config):
    (config / "agents.yaml").write_text("- {name: Atlas, colour: red}\n")
    q = call_action(store, "mon", "production", "payload", {})["quality"]
    assert q["agents"] == {} and q["hierarchy"]
    assert call_action(store, "mon", "monitor", "traces", {"time": "all"})["agents"] == {}
