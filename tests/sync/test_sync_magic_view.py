"""%axis sync and %axis status in a real IPython shell; the database view's Python side."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from axis_jupyter import sync
from axis_jupyter.notebook.widgets import call_action, show

pytestmark = pytest.mark.postgres


def test_magic_sync_and_status(ip, pg, axis_config, capsys):
    uri, schema, _ = pg
    sync.add_source(None, "ev", "evals", uri, f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.scores", incremental_column="updated_at")
    df = ip.run_line_magic("axis", "sync ev")
    out = capsys.readouterr()
    assert isinstance(df, pd.DataFrame) and df.iloc[0]["rows"] == 200
    assert "ev: 200 rows (full)" in out.out
    assert "100% ev: done — 200 rows (full" in out.out  # the text progress line, finished
    ip.run_line_magic("axis", "sync ev --full")
    assert "ev: 200 rows (full)" in capsys.readouterr().out
    ip.run_line_magic("axis", "sync")  # every enabled source; incremental now
    assert "incremental, +0 new" in capsys.readouterr().out
    ip.run_line_magic("axis", "status")
    out = capsys.readouterr().out
    assert "1 dataset(s)" in out
    sync_section = out.split("\nSync\n", 1)[1]  # the section %axis sync adds to the status
    assert re.search(r"^0\s+ev\s+evals\s+ready\b", sync_section, re.M), sync_section
    assert "2026-01-01 03:20:00" in sync_section  # the watermark: the newest updated_at
    ip.run_line_magic("axis", "sync nope")
    assert "AXIS error: no source named 'nope'" in capsys.readouterr().err
    listed = ip.run_line_magic("axis", "sync --list")
    assert listed["name"].tolist() == ["ev"]


def test_database_view_actions(store, pg, axis_config):
    uri, schema, _ = pg
    sync.add_source(store, "ev", "evals", uri, f"SELECT * FROM {schema}.cases",
                    results_query=f"SELECT * FROM {schema}.scores")
    p = call_action(store, None, "database", "payload", {})
    assert [s["name"] for s in p["sources"]] == ["ev"] and p["status"]["ev"]["state"] == "not_synced"
    st = call_action(store, None, "database", "sync", {"source": "ev"})
    assert st["state"] == "ready" and st["rows"] == 200
    h = call_action(store, None, "database", "connect", {"url": uri})
    assert set(h) == {"handle", "expires_in", "version", "target"}
    tabs = call_action(store, None, "database", "tables", {"handle": h["handle"]})["tables"]
    assert any(t["schema_name"] == schema and t["name"] == "cases" for t in tabs)
    q = call_action(store, None, "database", "query", {"handle": h["handle"],
                                                         "query": f"SELECT count(*) AS n FROM {schema}.cases"})
    assert q["data"] == [{"n": 20}]
    imp = call_action(store, None, "database", "import_query",
                      {"handle": h["handle"], "query": f"SELECT * FROM {schema}.scores", "name": "imp", "kind": "evals"})
    assert imp["rows"] == 200 and imp["dataset"] == "imp"
    w = show("database", store)
    assert w.snapshot["sources"][0]["name"] == "ev"
    reply = w.handle_call({"kind": "axis-call", "id": "1", "action": "connect",
                           "params": {"host": "/no-such-dir", "password": "Sekr3t", "database": "x"}})
    assert "error" in reply and "Sekr3t" not in str(reply) and "Sekr3t" not in str(w.get_state())
    assert "ev" in w.static_html()
