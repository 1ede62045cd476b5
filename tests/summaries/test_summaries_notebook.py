"""notebooks/summaries.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

from tests.support import notebooks


def test_notebook_runs_and_shows_both_paths(tmp_path, monkeypatch):
    text = notebooks.run_notebook("summaries.ipynb", tmp_path, monkeypatch).text
    assert "summary path: summary | exact=True: raw" in text
    # the demo's metrics each have one type, and its experiments fit the case bits
    assert "implied by metric_name: ['metric_type'] | case bits: [" in text
    assert "same test cases: True" in text
    assert "non-key filter:" in text and "dataset_id (not a summary key)" in text
    err = float(text.split("largest quartile difference:")[1].split()[0])
    assert err <= 0.0005
    assert "monitor path: summary |" in text and "with AXIS_SUMMARIES=off: raw" in text
    assert "same alerts: True" in text and "same counts: True" in text
    assert float(text.split("largest trend percentile difference:")[1].split()[0]) <= 0.0025
    # the monitor as it opens (24 hours, hourly), CLASSIFICATION labels included
    assert "buckets: hour" in text and "opened from: summary |" in text and "class_series=summary" in text
    assert "same KPIs and alerts: True" in text
