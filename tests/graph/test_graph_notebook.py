"""notebooks/graph.ipynb runs top to bottom in a plain kernel (embedded store and FalkorDB),
and its FalkorDB stops with the kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_graph_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "nb.duckdb"))
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / "graph.ipynb"
    shutil.copy(ROOT / "notebooks" / "graph.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[:1]
    text = "\n".join("".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                             for o in c.outputs) for c in nb.cells if c.cell_type == "code")
    assert "kind=rules" in text and "AXIS error" not in text
    assert "'Rule': 2001" in text  # the loaded rules and the one created here
    assert "update" in text and "create" in text  # the history
    widgets = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 2
    assert "decision memory" in widgets[0]["data"]["text/html"]
    assert "knowledge graph" in widgets[1]["data"]["text/html"]
