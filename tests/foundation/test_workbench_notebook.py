"""notebooks/workbench.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_workbench_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "wb.duckdb"))
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / "workbench.ipynb"
    shutil.copy(ROOT / "notebooks" / "workbench.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "\n".join("".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in c.outputs)
                     for c in nb.cells if c.cell_type == "code")
    assert "ds.summary(threshold=0.5, evaluation_name='baseline')" in text and "AXIS error" not in text
    widgets = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) >= 3  # the data manager twice (magic, store value) and the scorecard
    html = "".join(o["data"].get("text/html", "") for o in widgets)
    assert "wb_evals" in html  # the static fallback of the scorecard
