"""The evaluation runner in a real JupyterLab (base_url /a%40b/, token auth, the AXIS
extension owning a temp store) in headless Chromium.

* Shared store: ``%axis show runner`` in a kernel whose ``connect()`` is a RemoteStore; the
  user picks the reference sample, keeps the suggested mapping, selects exact_match +
  token_f1 + rouge_l, starts the run (a server job, polled over HTTP), waits for the
  summary, and opens the scorecard of the results: 10 test cases, 3 metrics.
* Embedded store in the kernel: the same widget through anywidget messages and a worker
  thread.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from browser.labserver import open_notebook, run_cell

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval_runner_sample.csv"
METRICS = ["exact_match", "token_f1", "rouge_l"]


@pytest.fixture(scope="module")
def expected_summary():
    """The summary Python computes for the same run, in this process."""
    import axis_jupyter

    s = axis_jupyter.connect(":memory:")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.load(SAMPLE, name="inputs")
        out = s.evaluate("inputs", METRICS, name="exp").summary().set_index("metric_name")
    s.close()
    return out


def runner_state(page, state, timeout=90_000):
    page.wait_for_function(
        """(s) => { const el = document.querySelector('[data-testid=axis-runner] [data-testid=run-state]');
                    return el && el.textContent === s; }""", arg=state, timeout=timeout)


def pick_metrics(view, keys):
    for key in keys:
        view.locator(f"[data-testid=metric][data-key={key}]").click()
        view.locator(f"[data-testid=metric][data-key={key}][data-selected='1']").wait_for()


def test_runner_shared_store_end_to_end(page, lab, expected_summary):
    lab.write_notebook("runner.ipynb", [
        "import axis_jupyter, warnings\naxis = axis_jupyter.connect()\nprint(type(axis).__name__)\n"
        f"with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        f"    axis.load({str(SAMPLE)!r}, name='sample_inputs')",
        "%load_ext axis_jupyter\n%axis show runner",
    ])
    open_notebook(page, lab, "runner.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-runner]")
    view.locator("[data-testid=dataset-select]").wait_for()

    # 1. the dataset: its card and a 3-row preview
    view.locator("[data-testid=dataset-select]").select_option("sample_inputs")
    view.locator("[data-testid=dataset-card]").wait_for()
    assert view.locator("[data-testid=dataset-card]").inner_text().startswith("10 rows")
    assert view.locator("[data-testid=preview] tbody tr").count() == 3

    # 2. the suggested mapping: required fields mapped (green), selects editable
    for field in ("dataset_id", "query", "actual_output", "expected_output"):
        sel = view.locator(f"[data-testid=map-{field}]")
        assert sel.input_value() == field
        assert "mapped" in sel.get_attribute("class")
    assert view.locator("[data-testid=field][data-field=latency]").get_attribute("data-mapped") == "0"

    # 3. the catalogue: compatible by default; all shows disabled incompatible metrics
    compatible = view.locator("[data-testid=metric]")
    assert compatible.count() > 0
    assert all(compatible.nth(i).get_attribute("data-compatible") == "1" for i in range(compatible.count()))
    view.locator("[data-testid=filter-all]").click()
    tool = view.locator("[data-testid=metric][data-key=tool_correctness]")
    assert tool.get_attribute("data-compatible") == "0"
    assert tool.locator("[data-testid=metric-check]").is_disabled()
    assert tool.locator("[data-testid=metric-kind]").inner_text() == "HEURISTIC"
    assert view.locator("[data-testid=metric][data-key=faithfulness] [data-testid=metric-kind]").inner_text() == "LLM"
    view.locator("[data-testid=metric-search]").fill("rouge")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=axis-runner] [data-testid=metric]').length === 1")
    view.locator("[data-testid=metric-search]").fill("")
    view.locator("[data-testid=filter-compatible]").click()
    pick_metrics(view, METRICS)
    assert view.locator("[data-testid=selected-count]").inner_text() == "3 selected"

    # 4. run it: progress, then the summary
    view.locator("[data-testid=run-name]").fill("sample_run")
    view.locator("[data-testid=start]").click()
    runner_state(page, "succeeded")
    bar = view.locator("[data-testid=progress]")
    assert bar.get_attribute("data-done") == bar.get_attribute("data-total") == "30"
    assert view.get_attribute("data-transport") == "server"
    rows = view.locator("[data-testid=summary] [data-testid=summary-row]")
    assert rows.count() == 3
    for i in range(3):
        row = rows.nth(i)
        metric = row.get_attribute("data-metric")
        assert float(row.get_attribute("data-mean")) == pytest.approx(expected_summary.loc[metric, "mean"], abs=1e-9)
        assert float(row.get_attribute("data-pass")) == pytest.approx(expected_summary.loc[metric, "pass_rate"])
    assert view.locator("[data-testid=kpi-rows]").get_attribute("data-value") == "10"
    # the run was a job of the server
    # (the lab server is shared by this folder's tests: other runs may be listed too)
    jobs = lab.api("axis/api/jobs?kind=eval_run").json()["jobs"]
    assert [j["state"] for j in jobs if j["params"]["name"] == "sample_run"] == ["succeeded"]

    # 5. open the scorecard on the results
    view.locator("[data-testid=open-scorecard]").click()
    card = page.locator("[data-testid=axis-scorecard]")
    card.locator("[data-testid=kpi-cases]").wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=axis-scorecard] [data-testid=kpi-cases]').dataset.value === '10'",
        timeout=30_000)
    assert card.locator("[data-testid=kpi-metrics]").get_attribute("data-value") == "3"
    names = {card.locator("[data-testid=hierarchy] [data-testid=row]").nth(i).get_attribute("data-name")
             for i in range(card.locator("[data-testid=hierarchy] [data-testid=row]").count())}
    assert names == set(METRICS)


def test_runner_embedded_store_kernel(page, lab, tmp_path):
    store = tmp_path / "kernel-store.duckdb"
    lab.write_notebook("runner_embedded.ipynb", [
        "import axis_jupyter, warnings\nfrom axis_jupyter import Runner\n"
        f"axis = axis_jupyter.connect({str(store)!r})\nprint(type(axis).__name__)\n"
        f"with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        f"    axis.load({str(SAMPLE)!r}, name='inputs')\n"
        "Runner('inputs', store=axis)",
    ])
    open_notebook(page, lab, "runner_embedded.ipynb")
    assert "LocalStore" in run_cell(page, 0)
    view = page.locator("[data-testid=axis-runner]")
    view.locator("[data-testid=dataset-card]").wait_for()  # preselected from Python
    pick_metrics(view, ["levenshtein"])
    view.locator("[data-testid=start]").click()
    runner_state(page, "succeeded")
    assert view.get_attribute("data-transport") == "kernel"
    assert view.locator("[data-testid=summary] [data-testid=summary-row]").count() == 1
    view.locator("[data-testid=open-scorecard]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=axis-scorecard] [data-testid=kpi-cases]')?.dataset.value === '10'",
        timeout=60_000)
