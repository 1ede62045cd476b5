"""notebooks/signals.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

from tests.support import notebooks


def test_signals_notebook_runs_in_a_plain_kernel(tmp_path, monkeypatch):
    ran = notebooks.run_notebook("signals.ipynb", tmp_path, monkeypatch)
    text, widgets = ran.text, ran.widgets
    assert "as 'demo_signals' [signals, long]" in text and "('signals', 800)" in text
    assert "source_metric" in text and "Total Cases" in text and "p95 time to resolve" in text
    assert "AXIS error" not in text
    assert len(widgets) == 1 and "Human signals" in widgets[0]["data"]["text/html"]
