"""The calibration view in a real JupyterLab whose server reaches the loopback Messages API
(the real anthropic client in the server process): patterns from the critiques used as
criteria, a judge run with progress, the metrics equal to agreement() on the same labels,
misalignment analysis, optimised criteria, apply & re-run, and the version history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser.labserver import open_notebook, run_cell, start_lab

pytestmark = pytest.mark.browser

VIEW = "[data-testid=axis-calibrate]"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def verdict(out: str, strict: bool) -> int:
    # the first judge misses the wrong refund window (too lenient); the optimised one not
    wrong = "history" in out or "Thanks for reaching out" in out or (strict and "90 days" in out)
    return 0 if wrong else 1


def responder(request):
    from support.llm_server import tool_name, user_payload

    name = tool_name(request)
    payload = user_payload(request)
    if name == "record_verdict":
        return {"score": verdict(payload.get("actual_output", ""), "90 days" in request["system"]),
                "reasoning": "checked"}
    if name == "report_misalignment":
        return {"summary": "Lenient on wrong refund windows.", "recommendations": ["check numbers"],
                "patterns": [{"pattern_type": "false_positive", "description": "90 days",
                              "example_ids": [e["id"] for e in payload["false_positives"]]}]}
    if name == "propose_criteria":
        return {"optimized_criteria": "Reject answers that quote 90 days for refunds.",
                "suggestions": [{"aspect": "facts", "suggestion": "check", "rationale": "people do"}],
                "expected_improvement": "no false positives"}
    if name == "record_learnings":
        return {"learnings": [{"title": "Refund facts", "content": "Check the window.", "confidence": 0.8,
                               "supporting_item_ids": payload["ids"][:2], "recommended_actions": ["check"]}]}
    raise AssertionError(name)


@pytest.fixture(scope="module")
def llm_lab(chromium, tmp_path_factory):
    from support.llm_server import serve_loopback

    with serve_loopback(None, responder) as llm:  # the lab's server inherits the env
        tmp = tmp_path_factory.mktemp("cal_lab")
        lab = start_lab(tmp, tmp / "store.duckdb")
        try:
            yield lab, llm
        finally:
            lab.stop()


@pytest.fixture
def cal_page(browser, llm_lab, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    pg = ctx.new_page()
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "calibrate.png"), full_page=True)
        (ARTIFACTS / "calibrate.lab.log").write_text(llm_lab[0].log.read_text()[-20000:])
    ctx.close()


def value(page, testid):
    return page.locator(f"{VIEW} [data-testid={testid}]").get_attribute("data-value")


def test_calibrate_in_the_browser(cal_page, llm_lab):
    from axis_jupyter.alignment import agreement
    from axis_jupyter.alignment.demo import records

    lab, llm = llm_lab
    page = cal_page
    frame, labels = records(12)
    lab.write_notebook("calibrate.ipynb", [
        "import axis_jupyter, pandas as pd\n"
        "from axis_jupyter.alignment.demo import records\n"
        "axis = axis_jupyter.connect()\n"
        "frame, labels = records(12)\n"
        "axis.load(frame, name='support')\n"
        "pd.DataFrame(labels).to_csv('labels.csv', index=False)\n"
        "print(axis.annotations('support').import_csv('labels.csv')['inserted'])",
        "%load_ext axis_jupyter\n%axis show calibrate support",
    ])
    open_notebook(page, lab, "calibrate.ipynb")
    assert run_cell(page, 0).strip() == "12"
    run_cell(page, 1)
    view = page.locator(VIEW)
    view.wait_for()
    assert "12 labelled" in view.locator("[data-testid=labelled]").inner_text()
    # patterns -> criteria
    view.locator("[data-testid=find-patterns]").click()
    view.locator("[data-testid=pattern-0]").wait_for(timeout=60_000)
    category = view.locator("[data-testid=pattern-0] b").first.inner_text()
    view.locator("[data-testid=use-pattern-0]").click()
    assert category in view.locator("[data-testid=criteria]").input_value()
    view.locator("[data-testid=learning]").first.wait_for()
    # run the judge
    view.locator("[data-testid=run]").click()
    page.wait_for_function(f"() => document.querySelector('{VIEW}').dataset.runId !== ''", timeout=90_000)
    view.locator("[data-testid=kpi-kappa]").wait_for()
    humans = [1 if l["judgment"] == "accept" else 0 for l in labels]
    judged = [verdict(r, False) for r in frame["actual_output"]]
    m = agreement(humans, judged)
    assert float(value(page, "kpi-kappa")) == pytest.approx(m.kappa)
    assert [int(value(page, c)) for c in ("tn", "fp", "fn", "tp")] == [m.tn, m.fp, m.fn, m.tp]
    assert "lenient" in view.locator("[data-testid=interpretation]").inner_text()
    # insights: analyse, optimise, apply & re-run
    view.locator("[data-testid=tab-insights]").click()
    view.locator("[data-testid=analyse]").click()
    view.locator("[data-testid=summary]").wait_for()
    assert view.locator("[data-testid=summary]").inner_text() == "Lenient on wrong refund windows."
    view.locator("[data-testid=optimize]").click()
    view.locator("[data-testid=apply]").wait_for()
    first_run = view.get_attribute("data-run-id")
    view.locator("[data-testid=apply]").click()
    page.wait_for_function(f"(r) => document.querySelector('{VIEW}').dataset.runId !== r",
                           arg=first_run, timeout=90_000)
    view.locator("[data-testid=kpi-kappa]").wait_for()
    strict = [verdict(r, True) for r in frame["actual_output"]]
    assert float(value(page, "kpi-kappa")) == pytest.approx(agreement(humans, strict).kappa)
    view.locator("[data-testid=tab-history]").click()
    rows = view.locator("[data-testid=history] tbody tr")
    assert rows.count() == 2
    assert re.search(r"v2", view.locator("[data-testid=version-2]").inner_text())
    assert llm.request_count > 0
