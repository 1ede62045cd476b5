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
    assert len(widgets) == 5  # the store's data manager (a cell ending in `axis`), scorecard, compare, monitor, signals
    views = [o for o in widgets if not o["data"]["text/plain"].startswith("VBox")]
    assert len(views) == 4 and all("axis-static" in o["data"].get("text/html", "") for o in views)  # static fallback
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_quickstart_cells_run_in_plain_ipython(tmp_path, monkeypatch):
    """The same cells as a script in a plain `ipython` process (no Jupyter, no widgets
    front end): embedded store, views built through the kernel-side API."""
    import subprocess
    import sys

    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "plain.duckdb"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    driver = tmp_path / "run_cells.py"
    driver.write_text(
        "import sys, nbformat\n"
        "from IPython import get_ipython\n"
        f"nb = nbformat.read({str(ROOT / 'notebooks' / 'quickstart.ipynb')!r}, as_version=4)\n"
        "for cell in nb.cells:\n"
        "    if cell.cell_type == 'code' and not get_ipython().run_cell(cell.source).success:\n"
        "        sys.exit(1)\n")
    ipython = Path(sys.executable).with_name("ipython")
    out = subprocess.run([str(ipython), "--no-banner", "--colors=NoColor", str(driver)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "as 'demo_evals' [evals, tree_format]" in out.stdout
    assert "Traceback" not in out.stderr and "AXIS error" not in out.stderr
