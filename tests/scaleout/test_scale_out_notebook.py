"""notebooks/scale_out.ipynb (the guide of issue 17) runs top to bottom in a plain kernel:
a local Spark and an embedded PostgreSQL of its own, both attached, the scorecard, monitor
and data manager views shown, and its own check against a loaded copy passing."""

from __future__ import annotations

from support import notebooks
from support.required import missing
from support.spark import java_missing


def test_scale_out_notebook_runs(tmp_path, monkeypatch):
    if why := java_missing():
        missing(why)
    ran = notebooks.run_notebook("scale_out.ipynb", tmp_path, monkeypatch, timeout=600)
    assert "AXIS error" not in ran.text
    html = "".join(o["data"].get("text/html", "") for o in ran.widgets)
    assert len(ran.widgets) >= 3  # scorecard, monitor, data manager
    assert "prod_evals" in html and "lake_monitoring" in html
