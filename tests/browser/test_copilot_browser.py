"""The copilot widget in a real JupyterLab (base_url /a%40b/, token auth) in headless
Chromium, with the real anthropic client in the server (and its kernels) pointed at the
loopback Messages-API server this test runs.

* Shared store: ``%axis show copilot`` in a kernel whose store is the server's; the user
  asks a question; the thoughts stream in while the question runs (the tool call with its
  SQL listed), then the answer shows as Markdown — record text with HTML in it stays text —
  with its query. A follow-up continues the conversation.
* Embedded store in the kernel: the same widget through anywidget messages.
* The scorecard's "Generate report" opens the report generator; a report streams and can
  be downloaded as Markdown.
"""

from __future__ import annotations

import json
import warnings

import pytest

from browser.labserver import open_notebook, run_cell, start_lab
from support.llm_server import LoopbackLLM, Scripted, script, text, tool_results, tool_use

pytestmark = pytest.mark.browser

SQL = ("SELECT evaluation_name, round(avg(metric_score), 3) AS mean FROM results "
       "WHERE metric_name = 'faithfulness' GROUP BY 1 ORDER BY 2 DESC")
HOSTILE = '<img src=x onerror="window.__axisPwned=1">'


@pytest.fixture(scope="module")
def llm():
    server = LoopbackLLM(delay=0.6).start()  # a model that takes its time: steps stream
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory, llm):
    """This module's own JupyterLab, whose server and kernels reach the loopback LLM."""
    tmp = tmp_path_factory.mktemp("copilot-lab")
    lab = start_lab(tmp, tmp / "store.duckdb", extra_env={
        "ANTHROPIC_BASE_URL": llm.base_url, "ANTHROPIC_API_KEY": "test-key-loopback"})
    yield lab
    lab.stop()


def frame_code(name: str) -> str:
    return ("import pandas as pd, numpy as np, warnings\n"
            "rng = np.random.default_rng(1)\n"
            "rows = [dict(dataset_id=f'c{i}', evaluation_name=e, metric_name='faithfulness',\n"
            "             metric_score=float(np.clip(rng.normal(m, .1), 0, 1)), query=f'q{i}')\n"
            "        for e, m in [('baseline', .7), ('candidate', .8)] for i in range(40)]\n"
            "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
            f"    axis.load(pd.DataFrame(rows), name={name!r}, kind='evals')\n")


def scripted_answer(seen: dict):
    def answer(request):
        [result] = tool_results(request)
        rows = json.loads(result["text"])["data"]
        seen["rows"] = rows
        (best, mean), (other, mean2) = rows[0], rows[1]
        return Scripted([text(f"**{best}** is best on faithfulness: mean {mean} against "
                              f"{other} at {mean2}.\n\nA record said {HOSTILE} — quoted, not run.")])

    return script(Scripted([text("Let me compare the experiments."), tool_use("run_sql", {"query": SQL})]),
                  answer, Scripted([text("Still **candidate**.")]))


def store_context(lab) -> str:
    """The empty state's line, from the server's API: datasets, records, distinct metrics."""
    names = [d["name"] for d in lab.api("axis/api/datasets").json()["datasets"]]
    infos = [lab.api(f"axis/api/datasets/{n}").json() for n in names]
    infos = [i for i in infos if i["kind"] in ("evals", "monitoring", "signals")]
    metrics = {m for i in infos for m in i.get("metrics") or []}
    return (f"{len(infos)} datasets | {sum(i['records'] for i in infos):,} records | "
            f"{len(metrics)} metrics")


def ask(view, question: str) -> None:
    view.locator("[data-testid=question]").fill(question)
    view.locator("[data-testid=send]").click()


def test_copilot_streams_thoughts_tool_calls_and_answer(page, lab, llm):
    seen: dict = {}
    llm.responder = scripted_answer(seen)
    lab.write_notebook("copilot.ipynb", [
        "import axis_jupyter\naxis = axis_jupyter.connect()\nprint(type(axis).__name__)\n" + frame_code("results"),
        "%load_ext axis_jupyter\n%axis show copilot",
    ])
    open_notebook(page, lab, "copilot.ipynb")
    assert "RemoteStore" in run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-copilot]")
    view.locator("[data-testid=context]").wait_for()
    # the store is this module's: another test may have loaded its dataset first
    assert view.locator("[data-testid=context]").inner_text() == store_context(lab)
    assert view.locator("[data-testid=suggestion]").count() == 4
    assert view.locator("[data-testid=no-key]").is_hidden()

    ask(view, "which experiment is best on faithfulness?")
    # while the question runs (one snapshot of the page): the tool call is listed with its
    # SQL and the reasoning before it, the panel says it is thinking, no answer yet
    live = page.wait_for_function("""() => {
        const v = document.querySelector('[data-testid=axis-copilot]');
        const tool = v && v.querySelector('[data-testid=thought][data-type=tool_use]');
        if (!tool) return null;
        return {state: v.dataset.state, answers: v.querySelectorAll('[data-testid=answer]').length,
                sql: tool.querySelector('[data-testid=tool-sql]').textContent,
                chip: tool.querySelector('[data-testid=tool-chip]').textContent,
                thoughts: v.querySelector('[data-testid=thoughts]').textContent,
                toggle: v.querySelector('[data-testid=thoughts-toggle]').textContent,
                draft: v.querySelectorAll('[data-testid=draft]').length};
    }""", timeout=60_000).json_value()
    assert live["state"] == "asking" and live["answers"] == 0 and live["draft"] == 1
    assert " ".join(live["sql"].split()) == SQL and live["chip"] == "run_sql"
    assert "Let me compare the experiments." in live["thoughts"]
    assert "Thinking…" in live["toggle"]

    answer = view.locator("[data-testid=answer]")
    answer.wait_for(timeout=60_000)
    assert view.get_attribute("data-state") == "idle"
    (best, mean), (other, mean2) = seen["rows"][0], seen["rows"][1]
    assert best == "candidate"
    body = answer.inner_text()
    assert f"{best} is best on faithfulness: mean {mean} against {other} at {mean2}." in body
    assert answer.locator("strong").first.inner_text() == best  # Markdown, rendered
    assert HOSTILE in body  # the HTML is text: no <img> element, nothing ran
    assert answer.locator("img").count() == 0
    assert page.evaluate("() => window.__axisPwned") is None
    queries = answer.locator("[data-testid=answer-queries]")
    assert queries.locator("summary").inner_text().startswith("1 query")
    queries.locator("summary").click()  # open the list of queries
    assert " ".join(queries.locator("[data-testid=answer-query] pre").inner_text().split()) == SQL
    kinds = view.locator("[data-testid=thought]").evaluate_all("els => els.map(e => e.dataset.type)")
    assert kinds.index("tool_use") < kinds.index("observation") < kinds.index("success")
    assert view.locator("[data-testid=thoughts-toggle]").inner_text().endswith("thoughts")

    # a follow-up continues the conversation: the model gets the first question again
    ask(view, "and now?")
    view.locator("[data-testid=answer]").nth(1).wait_for(timeout=60_000)
    assert "Still candidate." in view.locator("[data-testid=answer]").nth(1).inner_text()
    last = llm.requests[-1]["messages"]
    assert last[0]["content"] == "which experiment is best on faithfulness?"
    assert last[-1]["content"] == "and now?"
    assert view.locator("[data-testid=user-message]").count() == 2


def test_copilot_through_the_kernel(page, lab, llm, tmp_path):
    seen: dict = {}
    llm.responder = scripted_answer(seen)
    lab.write_notebook("copilot_kernel.ipynb", [
        f"import axis_jupyter\naxis = axis_jupyter.connect({str(tmp_path / 'k.duckdb')!r})\n" + frame_code("results"),
        "w = axis_jupyter.Copilot(store=axis)\nw",
    ])
    open_notebook(page, lab, "copilot_kernel.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    view = page.locator("[data-testid=axis-copilot]")
    view.locator("[data-testid=context]").wait_for()
    ask(view, "which experiment is best on faithfulness?")
    view.locator("[data-testid=thought][data-type=tool_use] [data-testid=tool-sql]").wait_for(timeout=60_000)
    view.locator("[data-testid=answer]").wait_for(timeout=60_000)
    assert view.get_attribute("data-transport") == "kernel"
    assert "candidate is best on faithfulness" in view.locator("[data-testid=answer]").inner_text()


def test_scorecard_generate_report(page, lab, llm):
    llm.responder = lambda request: "## Overall Health\nFaithfulness is **weak** for `c3`.\n"
    lab.write_notebook("report.ipynb", [
        "import axis_jupyter\nfrom axis_jupyter import demo\naxis = axis_jupyter.connect()\n"
        "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
        "    axis.load(demo.eval_results(30), name='tree')",
        "%load_ext axis_jupyter\n%axis show scorecard tree",
    ])
    open_notebook(page, lab, "report.ipynb")
    run_cell(page, 0)
    run_cell(page, 1)
    card = page.locator("[data-testid=axis-scorecard]")
    card.locator("[data-testid=row][data-name=Accuracy] [data-testid=row-report]").click()
    modal = card.locator("[data-testid=report-modal]")
    panel = modal.locator("[data-testid=report-panel]")
    panel.locator("[data-testid=report-metric].on").first.wait_for()
    on = panel.locator("[data-testid=report-metric].on").all_inner_texts()
    assert sorted(on) == ["Accuracy", "factual_accuracy", "faithfulness"]
    panel.locator("[data-testid=report-kind-grouped]").click()
    panel.locator("[data-testid=report-generate]").click()
    panel.locator("[data-testid=report-text]").wait_for(timeout=60_000)
    assert "Faithfulness is weak for c3." in panel.locator("[data-testid=report-text]").inner_text()
    assert panel.locator("[data-testid=report-text] strong").inner_text() == "weak"
    stats = panel.locator("[data-testid=report-stats]").text_content()
    # the report's own request (the pattern pipeline's learnings call the model too)
    [request] = [r for r in llm.requests if isinstance(r["messages"][0]["content"], str)
                 and "\nIssues found: " in "\n" + r["messages"][0]["content"]]
    found = next(l for l in request["messages"][0]["content"].splitlines() if l.startswith("Issues found: "))
    # patterns come from the pattern pipeline when it is installed (none without it): the
    # count in the stats is the one the Insights tab lists
    shown = panel.locator("[data-testid=report-tab-insights]").inner_text()
    assert f"Issues analyzed{found.split(': ')[1]}" in stats
    assert f"Patterns found{shown.split('(')[1].rstrip(')')}" in stats
    assert "## Issue Patterns" in request["system"]
    line = next(l for l in request["messages"][0]["content"].splitlines() if l.startswith("Metrics: "))
    assert set(line[len("Metrics: "):].split(", ")) <= {"Accuracy", "factual_accuracy", "faithfulness"}
    with page.expect_download() as dl:
        panel.locator("[data-testid=report-download]").click()
    assert dl.value.suggested_filename == "tree-grouped-report.md"
    assert "# Grouped report: tree" in open(dl.value.path()).read()
