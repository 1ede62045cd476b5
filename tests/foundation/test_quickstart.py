"""The quickstart notebook runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_runs_in_a_plain_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "qs.duckdb"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / "quickstart.ipynb"
    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = ["".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in c.outputs)
               for c in nb.cells if c.cell_type == "code"]
    text = "\n".join(outputs)
    assert "as 'demo_evals' [evals, tree_format]" in text
    assert "as 'demo_monitoring' [monitoring, wide]" in text
    assert "candidate_a" in text and "AXIS error" not in text
    widgets = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 3  # scorecard, compare, monitor
    assert all("axis-static" in o["data"].get("text/html", "") for o in widgets)  # static fallback
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
