"""Skills as files (built-in and ~/.axis/skills) and the rule-based quick insights given
without an API key."""

from __future__ import annotations

import pytest

from axis_jupyter.copilot import REGISTRY, ask, load_skills, run_question
from axis_jupyter.copilot.quick import NO_KEY_NOTE
from support.llm_server import Scripted, script, text, tool_results, tool_use


def test_builtin_skills_load_with_their_parameters():
    skills = load_skills(include_user=False)
    assert set(skills.names()) >= {"summarize_dataset", "compare_experiments", "find_issues",
                                   "monitor_health"}
    cmp_ = skills.get("compare_experiments")
    assert cmp_.source == "builtin" and cmp_.description
    assert [p["name"] for p in cmp_.parameters] == ["dataset", "metric"]
    text_ = cmp_.render({"dataset": "results", "metric": "faithfulness"})
    assert "results" in text_ and "faithfulness" in text_ and "{{" not in text_
    assert "(not given)" in cmp_.render({"dataset": "results"})


def test_user_skills_override_and_broken_ones_are_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_HOME", str(tmp_path))
    (tmp_path / "skills" / "compare_experiments").mkdir(parents=True)
    (tmp_path / "skills" / "compare_experiments" / "SKILL.md").write_text(
        "---\nname: compare_experiments\ndescription: our own way to compare\n---\nUse {{x}}.\n")
    (tmp_path / "skills" / "latency_check").mkdir()
    (tmp_path / "skills" / "latency_check" / "SKILL.md").write_text(
        "---\nname: latency_check\ndescription: p95 latency per source\nparameters:\n"
        "  - {name: dataset, type: string, required: true}\ntags: [latency]\n---\n"
        "Run latency on {{dataset}}.\n")
    (tmp_path / "skills" / "broken").mkdir()
    (tmp_path / "skills" / "broken" / "SKILL.md").write_text("no front matter here")
    (tmp_path / "skills" / "hidden").mkdir()
    (tmp_path / "skills" / "hidden" / "SKILL.md").write_text(
        "---\nname: hidden\ndescription: a hidden skill\nenabled: false\n---\nx\n")
    skills = load_skills()
    assert skills.get("compare_experiments").description == "our own way to compare"
    assert skills.get("compare_experiments").source == "user"
    assert skills.get("latency_check").render({"dataset": "mon"}) == "Run latency on mon."
    assert skills.get("hidden") is None and "hidden" not in skills.names()
    assert len(skills.errors) == 1 and "broken" in skills.errors[0] and "front matter" in skills.errors[0]


def test_the_model_reads_a_skill_through_use_skill(cstore, llm, judge, tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_HOME", str(tmp_path))
    (tmp_path / "skills" / "house_style").mkdir(parents=True)
    (tmp_path / "skills" / "house_style" / "SKILL.md").write_text(
        "---\nname: house_style\ndescription: how our team wants answers\n---\n"
        "Always name the experiment {{experiment}} first.\n")
    llm.responder = script(
        Scripted([tool_use("use_skill", {"name": "house_style", "arguments": {"experiment": "candidate"}})]),
        Scripted([text("candidate first.")]))
    answer = run_question(cstore, "answer in house style", REGISTRY.new(), judge=judge)
    assert "house_style: how our team wants answers" in llm.requests[0]["system"]
    [result] = tool_results(llm.requests[1])
    assert "Always name the experiment candidate first." in result["text"]
    assert [s.skill for s in answer.steps if s.type == "tool_use"] == ["house_style"]


def test_without_a_key_quick_insights_in_sql(cstore, frame, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    answer = ask(cstore, "what stands out?", new=True)
    assert answer.mode == "rules"
    assert answer.text.splitlines()[0] == NO_KEY_NOTE  # the one-line note comes first
    stats = frame.groupby("metric_name").metric_score.agg(["mean", "std", "count"])
    for metric, row in stats.iterrows():
        line = next((l for l in answer.text.splitlines() if f"`{metric}`" in l and "mean" in l), None)
        if row["mean"] < 0.5:
            assert line is not None and "low mean" in line and f"{row['mean']:.3f}" in line
        elif row["mean"] > 0.8:
            assert line is not None and "high mean" in line
        else:
            assert line is None
        spread = any(f"`{metric}`" in l and "high spread" in l for l in answer.text.splitlines())
        assert spread == (row["std"] > 0.3)
    assert [(q.analytic, q.dataset) for q in answer.queries] == [("summary", "results")]
    assert "analytic('summary')" in answer.code()


def test_quick_insight_rules_on_known_values():
    from axis_jupyter.copilot.quick import insights_for

    rows = [{"metric_name": "a", "mean": 0.3, "std": 0.1, "count": 5},
            {"metric_name": "b", "mean": 0.9, "std": 0.35, "count": 5},
            {"metric_name": "c", "mean": 0.6, "std": 0.2, "count": 5},
            {"metric_name": "d", "mean": float("nan"), "std": None, "count": 0}]
    got = [(i["type"], i["metric"]) for i in insights_for(rows)]
    assert got == [("warning", "a"), ("success", "b"), ("info", "b")]


def test_bad_questions_and_datasets_are_named(cstore, monkeypatch):
    from axis_jupyter.errors import NotFoundError, ParameterError

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ParameterError, match="question"):
        ask(cstore, "   ")
    with pytest.raises(NotFoundError, match="nope"):
        ask(cstore, "hi", datasets=["nope"])
    with pytest.raises(ParameterError, match="budget.tool_calls"):
        from axis_jupyter.copilot import Budget
        Budget.coerce({"tool_calls": 0})


@pytest.fixture
def with_signals(cstore):
    """The evaluation store plus a human-signals dataset (no scores: cases and KPIs only)."""
    import warnings

    from axis_jupyter import demo_signals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cstore.load(demo_signals.signal_rows(120, seed=5), name="hs", kind="signals")
    return cstore


def test_without_a_key_signals_get_their_kpis(with_signals, monkeypatch):
    """A human-signals dataset beside the evaluations: the rule-based answer covers both,
    the signals with their KPI strip (it has no scores to judge), each number as the
    signal_kpis analytic gives it."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    answer = ask(with_signals, "what stands out?", new=True)
    assert answer.mode == "rules" and answer.stopped is None
    assert sorted((q.analytic, q.dataset, q.error) for q in answer.queries) == [
        ("signal_kpis", "hs", None), ("summary", "results", None)]
    kpis = with_signals.analytic("hs", "signal_kpis").set_index("key")
    lines = answer.text.splitlines()
    assert "**hs** (human signals, 120 cases)" in lines
    esc = kpis.loc["escalation_type__is_escalated"]
    assert (f"- `{esc['label']}`: {esc['value'] * 100:.1f}% of 120 cases "
            f"({int(esc['true_count'])})") in lines
    assert "- `Total Cases`: 120" in lines
    assert "signal_kpis" in answer.code()


def test_eval_analytics_on_signals_name_the_missing_column(with_signals):
    """summary (or sample_cases) on signals without scores is a clear error naming the
    column, for the user and for the model's tool call alike; never a crash."""
    from axis_jupyter.copilot.tools import Toolbox
    from axis_jupyter.errors import QueryError

    with pytest.raises(QueryError, match="needs the column metric_score.*signal_kpis"):
        with_signals.dataset("hs").summary()
    out = Toolbox(with_signals).run("sample_cases", {"dataset": "hs"})
    assert out.is_error and "needs the column metric_score" in out.text


def test_the_model_learns_the_cases_table_of_signals(with_signals):
    """describe_dataset gives a signals dataset's cases table and its typed signal columns,
    and run_sql on that table answers like the KPI analytic."""
    import json

    from axis_jupyter.copilot.tools import Toolbox

    tools = Toolbox(with_signals, datasets=["hs"])
    described = json.loads(tools.run("describe_dataset", {"name": "hs"}).text)
    cases = described["cases"]
    cols = {c["name"]: c["signal_type"] for c in cases["columns"]}
    assert cols["escalation_type__is_escalated"] == "boolean"
    assert cols["message_count"] is None  # a case field, not a signal
    out = tools.run("run_sql", {"query": "SELECT avg(CAST(escalation_type__is_escalated AS INT)) AS r "
                                         f"FROM {cases['sql_table']}"})
    assert not out.is_error
    rate = json.loads(out.text)["data"][0][0]
    kpis = with_signals.analytic("hs", "signal_kpis").set_index("key")
    assert rate == pytest.approx(kpis.loc["escalation_type__is_escalated", "value"])
