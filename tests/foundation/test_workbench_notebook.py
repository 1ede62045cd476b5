"""notebooks/workbench.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

from tests.support import notebooks


def test_workbench_notebook_runs(tmp_path, monkeypatch):
    ran = notebooks.run_notebook("workbench.ipynb", tmp_path, monkeypatch)
    text, widgets = ran.text, ran.widgets
    assert "ds.summary(threshold=0.5, evaluation_name='baseline')" in text and "AXIS error" not in text
    assert len(widgets) >= 3  # the data manager twice (magic, store value) and the scorecard
    html = "".join(o["data"].get("text/html", "") for o in widgets)
    assert "wb_evals" in html  # the static fallback of the scorecard
