"""notebooks/sync_postgres.ipynb runs top to bottom (it starts its own embedded PostgreSQL)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def test_sync_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / "sync_postgres.ipynb"
    shutil.copy(ROOT / "notebooks" / "sync_postgres.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "incremental" in text and "candidate_c" in text and "AXIS error" not in text
