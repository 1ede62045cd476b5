"""Run an example notebook of ``notebooks/`` top to bottom in a plain kernel, on a store of
its own, the way the notebook tests check that the examples stay true."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
WIDGET = "application/vnd.jupyter.widget-view+json"


@dataclass
class RanNotebook:
    text: str  # every printed line and plain-text value, in cell order
    widgets: list  # the widget outputs (their static HTML is in ``data["text/html"]``)
    outputs: list


def run_notebook(name: str, tmp_path: Path, monkeypatch, timeout: int = 300) -> RanNotebook:
    """Execute ``notebooks/<name>`` in ``tmp_path`` with an embedded store there (no server,
    an AXIS home of its own); a cell that raised fails the test with its error."""
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "nb.duckdb"))
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    nb_path = tmp_path / name
    shutil.copy(ROOT / "notebooks" / name, nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors[:1]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    return RanNotebook(text, [o for o in outputs if WIDGET in o.get("data", {})], outputs)
