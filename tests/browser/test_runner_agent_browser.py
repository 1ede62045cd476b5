"""The runner with an agent, in a real JupyterLab and headless Chromium (shared store, so
the agent is called from the Jupyter server): "Test connection" shows the raw reply and
the extracted answer, a run fills the empty outputs (one item fails: a warning, not an
aborted run), the results download as CSV, the failed item is re-run, and the run is
compared with an earlier one in the compare view."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from browser.labserver import open_notebook, run_cell
from support.agent_server import LoopbackAgent

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "eval_runner_sample.csv"


def state_is(page, state, timeout=90_000):
    page.wait_for_function(
        """(s) => { const el = document.querySelector('[data-testid=axis-runner] [data-testid=run-state]');
                    return el && el.textContent === s; }""", arg=state, timeout=timeout)


def test_runner_with_an_agent_downloads_reruns_and_compares(page, lab):
    with LoopbackAgent() as agent:
        lab.write_notebook("runner_agent.ipynb", [
            "import axis_jupyter, warnings\naxis = axis_jupyter.connect()\n"
            f"with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
            f"    axis.load({str(SAMPLE)!r}, name='agent_inputs')\n"
            "axis.evaluate('agent_inputs', ['token_f1'], name='agent_ref', mapping={'actual_output': 'expected_output'})\n"
            "print('ready')",
            "%load_ext axis_jupyter\n%axis show runner agent_inputs",
        ])
        open_notebook(page, lab, "runner_agent.ipynb")
        assert "ready" in run_cell(page, 0)
        run_cell(page, 1)
        view = page.locator("[data-testid=axis-runner]")
        view.locator("[data-testid=dataset-card]").wait_for()

        # no output column: the agent fills it
        view.locator("[data-testid=map-actual_output]").select_option("")
        assert "actual_output" in view.locator("[data-testid=mapping-warning]").inner_text()
        view.locator("[data-testid=agent-mode]").select_option("api")
        assert view.locator("[data-testid=mapping-warning]").count() == 0
        view.locator("[data-testid=agent-url]").fill(agent.url + "/chat")
        view.locator("[data-testid=agent-path]").fill("choices.0.message.content")

        # Test connection: one call from the server, raw reply and answer shown
        view.locator("[data-testid=agent-test]").click()
        view.locator("[data-testid=agent-test-result][data-ok='1']").wait_for(timeout=30_000)
        assert view.locator("[data-testid=agent-test-answer]").inner_text() == "answer: Hello, how are you?"
        assert '"choices"' in view.locator("[data-testid=agent-test-raw]").inner_text()
        assert agent.seen[-1].body == {"query": "Hello, how are you?"}

        # run it: one item fails for good, the others are filled and scored
        agent.fail_next(404)
        view.locator("[data-testid=metric][data-key=token_f1]").click()
        view.locator("[data-testid=run-name]").fill("agent_run")
        view.locator("[data-testid=start]").click()
        state_is(page, "succeeded")
        assert "did not answer 1 of 10" in view.locator("[data-testid=agent-warnings]").inner_text()
        assert view.locator("[data-testid=rerun-failed]").inner_text() == "Re-run failed (2)"  # the item + its score

        # download the results as CSV
        with page.expect_download() as info:
            view.locator("[data-testid=download-csv]").click()
        download = info.value
        assert download.suggested_filename == "agent_run.csv"
        rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
        assert len(rows) == 10 and sum(1 for r in rows if r["agent_error"]) == 1
        assert all(r["actual_output"] == "answer: " + r["query"] for r in rows if not r["agent_error"])

        # re-run only the failed item
        view.locator("[data-testid=rerun-failed]").click()
        state_is(page, "succeeded")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=axis-runner] [data-testid=rerun-failed]')?.disabled === true",
            timeout=30_000)

        # compare with the earlier run of the same dataset
        view.locator("[data-testid=compare-earlier]").select_option("agent_ref")
        cmp = page.locator("[data-testid=axis-compare]")
        cmp.wait_for(timeout=60_000)
        page.wait_for_function(
            "() => (document.querySelector('[data-testid=axis-compare]')?.innerText || '').includes('agent_ref')",
            timeout=60_000)
