"""notebooks/summaries.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def test_notebook_runs_and_shows_both_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "nb.duckdb"))
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / "summaries.ipynb"
    shutil.copy(ROOT / "notebooks" / "summaries.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) for o in outputs)
    assert "summary path: summary | exact=True: raw" in text
    assert "same test cases: True" in text
    assert "non-key filter:" in text and "trace_id (not a summary key)" in text
    err = float(text.split("largest quartile difference:")[1].split()[0])
    assert err <= 0.0005
