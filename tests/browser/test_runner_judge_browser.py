"""The runner's custom binary judge in a real JupyterLab in headless Chromium (a store
embedded in the kernel, the judge served by the loopback Messages-API server the kernel
starts).

It once offered the judge with no field for its instruction, then failed far from the
Start button, which stayed enabled under a "will be refused" warning. Now: without an API
key Start is off and says why; with one, selecting the judge shows its labelled
instruction field and Start stays off until it is written; the run then succeeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval_runner_sample.csv"
TESTS = Path(__file__).resolve().parents[1]


def start_state(view):
    b = view.locator("[data-testid=start]")
    return b.is_disabled(), view.locator("[data-testid=start-blocked]").inner_text()


def test_custom_judge_needs_its_instruction_and_start_says_why(page, lab, tmp_path):
    lab.write_notebook("judge.ipynb", [
        "import os, sys, warnings, axis_jupyter\nfrom axis_jupyter import Runner\n"
        "os.environ.pop('ANTHROPIC_API_KEY', None)\n"
        f"axis = axis_jupyter.connect({str(tmp_path / 'judge.duckdb')!r})\n"
        f"with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        f"    axis.load({str(SAMPLE)!r}, name='inputs')\n"
        "Runner('inputs', store=axis)",
        f"sys.path.insert(0, {str(TESTS)!r})\nfrom support.llm_server import LoopbackLLM\n"
        "llm = LoopbackLLM().start()\n"
        "os.environ.update(ANTHROPIC_BASE_URL=llm.base_url, ANTHROPIC_API_KEY='test-key-loopback')\n"
        "Runner('inputs', store=axis)",
        "print('requests', llm.request_count, all('refund window' in str(r.get('system')) for r in llm.requests))",
    ])
    open_notebook(page, lab, "judge.ipynb")
    run_cell(page, 0)
    without_key = page.locator("[data-testid=axis-runner]").nth(0)
    without_key.locator("[data-testid=dataset-card]").wait_for(timeout=60_000)
    without_key.locator("[data-testid=filter-all]").click()
    without_key.locator("[data-testid=metric][data-key=binary_judge]").click()
    without_key.locator("[data-testid=param-binary_judge-instruction]").fill("anything")
    disabled, why = start_state(without_key)
    assert disabled and "ANTHROPIC_API_KEY" in why
    assert without_key.locator("[data-testid=llm-warning]").is_visible()

    run_cell(page, 1)
    view = page.locator("[data-testid=axis-runner]").nth(1)
    view.locator("[data-testid=dataset-card]").wait_for(timeout=60_000)
    view.locator("[data-testid=filter-all]").click()
    view.locator("[data-testid=metric][data-key=binary_judge]").click()
    field = view.get_by_label("Custom Binary Judge: Judge instruction")
    assert field.get_attribute("data-testid") == "param-binary_judge-instruction"
    disabled, why = start_state(view)
    assert disabled and why == "Custom Binary Judge needs its judge instruction"
    assert view.locator("[data-testid=llm-warning]").count() == 0
    field.fill("Score 1 when the answer names a refund window; else 0.")
    disabled, why = start_state(view)
    assert not disabled and why == ""
    view.locator("[data-testid=start]").click()
    page.wait_for_function(
        """() => { const el = document.querySelectorAll('[data-testid=axis-runner]')[1]
                     .querySelector('[data-testid=run-state]');
                   return el && el.textContent === 'succeeded'; }""", timeout=90_000)
    rows = view.locator("[data-testid=summary] [data-testid=summary-row]")
    assert [rows.nth(i).get_attribute("data-metric") for i in range(rows.count())] == ["binary_judge"]
    assert view.locator("[data-testid=run-error]").count() == 0
    assert run_cell(page, 2).strip() == "requests 10 True"
