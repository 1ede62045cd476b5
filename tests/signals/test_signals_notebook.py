"""notebooks/signals.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_signals_notebook_runs_in_a_plain_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "signals.duckdb"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / "signals.ipynb"
    shutil.copy(ROOT / "notebooks" / "signals.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "\n".join("".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in c.outputs)
                     for c in nb.cells if c.cell_type == "code")
    assert "as 'demo_signals' [signals, long]" in text and "('signals', 800)" in text
    assert "source_metric" in text and "Total Cases" in text and "p95 time to resolve" in text
    assert "AXIS error" not in text
    widgets = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 1 and "Human signals" in widgets[0]["data"]["text/html"]
