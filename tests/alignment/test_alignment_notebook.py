"""notebooks/alignment.ipynb runs top to bottom in a plain kernel (embedded store): once with
no API key (the judge is skipped, everything else runs) and once against the loopback
Messages API (the judge, the analysis and apply & re-run too)."""

from __future__ import annotations

import re

from tests.support import notebooks
from tests.support.llm_server import tool_name, user_payload


def run_notebook(tmp_path, monkeypatch) -> tuple[str, list]:
    ran = notebooks.run_notebook("alignment.ipynb", tmp_path, monkeypatch)
    return ran.text, ran.widgets


def test_runs_without_a_key(tmp_path, monkeypatch):
    text, widgets = run_notebook(tmp_path, monkeypatch)
    assert "No ANTHROPIC_API_KEY: the judge is not run." in text
    assert re.search(r"kappa -?\d\.\d{3} \[", text) and "verdict:" in text
    assert "'inserted': 38" in text  # 40 demo labels, two already set (newer: kept)
    assert len(widgets) == 2 and all("axis-static" in w["data"].get("text/html", "") for w in widgets)
    assert "AXIS error" not in text


def responder(request):
    name = tool_name(request)
    payload = user_payload(request)
    if name == "record_verdict":
        out = payload.get("actual_output", "")
        # misses the wrong refund window: too lenient there
        wrong = "history" in out or "Thanks for reaching out" in out
        return {"score": 0 if wrong else 1, "reasoning": "checked the answer"}
    if name == "report_misalignment":
        return {"summary": "The judge disagrees on a few answers.", "patterns": [],
                "recommendations": ["state the refund window"]}
    if name == "propose_criteria":
        return {"optimized_criteria": "Reject padded, wrong or off-topic answers.",
                "suggestions": [], "expected_improvement": "fewer false positives"}
    if name == "record_learnings":
        return {"learnings": [{"title": "t", "content": "c", "confidence": 0.5,
                               "supporting_item_ids": payload["ids"][:2]}]}
    raise AssertionError(name)


def test_runs_with_the_loopback_llm(tmp_path, monkeypatch):
    from tests.support.llm_server import serve_loopback

    with serve_loopback(monkeypatch, responder) as llm:
        text, widgets = run_notebook(tmp_path, monkeypatch)
    assert "<Calibration" in text and "verdict=too lenient" in text
    assert "The judge disagrees on a few answers." in text
    assert "judge_version" in text and "support              2" in text  # two versions
    assert llm.request_count > 5
    assert len(widgets) == 2
