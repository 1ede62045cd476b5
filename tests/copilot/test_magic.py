"""``%axis ask`` (line and cell) and ``%axis report`` in a real IPython shell, with the real
anthropic client against the loopback server; without a key, quick insights and a one-line
refusal of reports."""

from __future__ import annotations

import warnings

from support.llm_server import Scripted, script, serve_loopback, text, tool_use

from .conftest import results_frame

SQL = "SELECT count(DISTINCT dataset_id) AS cases FROM results"


def load(ip):
    ip.user_ns["frame"] = results_frame(12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ip.run_line_magic("axis", "load frame --name results --kind evals")


def test_ask_line_and_cell_and_report(ip, capsys, tmp_path, monkeypatch):
    load(ip)
    with serve_loopback(monkeypatch) as llm:
        llm.responder = script(
            Scripted([text("Counting."), tool_use("run_sql", {"query": SQL})]),
            Scripted([text("**12** cases.")]),
            Scripted([text("Same 12 cases.")]),
            "## Overall Health\nWeak on tone.\n")
        answer = ip.run_line_magic("axis", 'ask "how many cases?"')
        out = capsys.readouterr().out
        again = ip.run_cell_magic("axis", "ask", "and again,\nover two lines?")
        report = ip.run_line_magic("axis", f"report results --kind grouped --mode low --out {tmp_path / 'r.md'}")
        out2 = capsys.readouterr().out
        follow_up = llm.requests[2]["messages"]
    assert answer.text == "**12** cases." and answer.queries[0].sql == SQL
    assert "· tool_use [run_sql]: Running SQL" in out and SQL in out  # the step, as it happened
    assert "· observation [run_sql]: 1 rows × 1 columns" in out
    assert again.text == "Same 12 cases."
    assert follow_up[-1]["content"] == "and again,\nover two lines?"
    assert follow_up[0]["content"] == "how many cases?"  # the magic continues the conversation
    assert report.kind == "grouped" and "Weak on tone." in report.text
    assert f"Saved to {tmp_path / 'r.md'}" in out2
    assert (tmp_path / "r.md").read_text().startswith("# Grouped report: results")
    assert "· planning: Extracting low-scoring issues" in out2


def test_without_a_key(ip, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    load(ip)
    answer = ip.run_line_magic("axis", "ask what stands out --new")
    assert answer.mode == "rules" and answer.question == "what stands out"
    assert ip.run_line_magic("axis", "report results") is None
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("AXIS error: Reports are written by a model")
    assert ip.run_line_magic("axis", "ask") is None
    assert "give a question" in capsys.readouterr().err
