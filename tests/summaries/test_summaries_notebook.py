"""notebooks/summaries.ipynb runs top to bottom in a plain kernel (embedded store)."""

from __future__ import annotations

from tests.support import notebooks


def test_notebook_runs_and_shows_both_paths(tmp_path, monkeypatch):
    text = notebooks.run_notebook("summaries.ipynb", tmp_path, monkeypatch).text
    assert "summary path: summary | exact=True: raw" in text
    assert "same test cases: True" in text
    assert "non-key filter:" in text and "dataset_id (not a summary key)" in text
    err = float(text.split("largest quartile difference:")[1].split()[0])
    assert err <= 0.0005
