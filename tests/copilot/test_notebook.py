"""notebooks/copilot.ipynb runs top to bottom in a plain kernel (embedded store): without an
API key (quick insights, reports refused in one line) and with the loopback LLM server (the
real anthropic client in the kernel: an answer with its query, a report saved)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def run_notebook(tmp_path) -> tuple[str, list]:
    nb_path = tmp_path / "copilot.ipynb"
    shutil.copy(ROOT / "notebooks" / "copilot.ipynb", nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) +
                     str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    return text, outputs


def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("AXIS_STORE", str(tmp_path / "nb.duckdb"))
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AXIS_SERVER_URL", raising=False)
    monkeypatch.delenv("AXIS_SERVER_TOKEN", raising=False)


def test_notebook_without_a_key(tmp_path, monkeypatch):
    _env(monkeypatch, tmp_path)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    text, outputs = run_notebook(tmp_path)
    assert not [o for o in outputs if o.output_type == "error"]
    assert "answers in words: False" in text
    assert "rule-based quick insights" in text and "AXIS error" not in text
    assert "Reports need ANTHROPIC_API_KEY" in text
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 2  # the copilot and the report generator


def test_notebook_with_the_loopback_llm(tmp_path, monkeypatch):
    from support.llm_server import Scripted, script, serve_loopback, text, tool_use

    _env(monkeypatch, tmp_path)
    with serve_loopback(monkeypatch) as llm:
        llm.responder = script(
            Scripted([tool_use("run_analytic", {"dataset": "demo_evals", "analytic": "summary",
                                                "params": {"by": "evaluation_name"}})]),
            Scripted([text("**candidate_a** leads on faithfulness.")]),
            Scripted([text("Context relevancy is weakest.")]),
            "## Overall Health\nAccuracy is fine.\n")
        text_, outputs = run_notebook(tmp_path)
    assert not [o for o in outputs if o.output_type == "error"]
    assert "answers in words: True" in text_
    assert "candidate_a** leads on faithfulness" in text_
    assert "analytic('summary', by='evaluation_name')" in text_  # answer.code()
    assert "Context relevancy is weakest." in text_
    assert (tmp_path / "accuracy-report.md").read_text().startswith("# Summary report: demo_evals")


def test_notebook_without_a_key_after_human_signals(tmp_path, monkeypatch):
    """The store already holds human signals (notebooks/signals.ipynb loads them into the
    same default store): the rule-based answer covers them with their KPIs and nothing
    fails (before: the summary of a dataset without scores crashed the question)."""
    import warnings

    import axis_jupyter
    from axis_jupyter import demo_signals

    _env(monkeypatch, tmp_path)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    store = axis_jupyter.LocalStore(tmp_path / "nb.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(demo_signals.signal_rows(60, seed=2), name="demo_signals", kind="signals")
    store.close()  # the kernel opens the file
    text, outputs = run_notebook(tmp_path)
    assert not [o for o in outputs if o.output_type == "error"]
    assert "AXIS error" not in text
    assert "**demo_signals** (human signals, 60 cases)" in text
    assert "`Total Cases`: 60" in text
