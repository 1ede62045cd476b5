"""notebooks/graph.ipynb runs top to bottom in a plain kernel (embedded store and FalkorDB),
and its FalkorDB stops with the kernel."""

from __future__ import annotations

from tests.support import notebooks


def test_graph_notebook_runs(tmp_path, monkeypatch):
    ran = notebooks.run_notebook("graph.ipynb", tmp_path, monkeypatch)
    text, widgets = ran.text, ran.widgets
    assert "kind=rules" in text and "AXIS error" not in text
    assert "'Rule': 2001" in text  # the loaded rules and the one created here
    assert "update" in text and "create" in text  # the history
    assert len(widgets) == 2
    assert "decision memory" in widgets[0]["data"]["text/html"]
    assert "knowledge graph" in widgets[1]["data"]["text/html"]
