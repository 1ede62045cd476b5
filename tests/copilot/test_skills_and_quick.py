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
