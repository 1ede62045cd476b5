"""The copilot's agent with the real anthropic client against the loopback Messages-API
server, scripted for multi-step tool use: several tool calls in one reply, a tool error, a
429 that is retried, streaming, a refusal, a budget running out, and follow-ups."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from axis_jupyter.copilot import REGISTRY, ask, run_question
from support.llm_server import Scripted, script, text, tool_results, tool_use

QUESTION = "which experiment is best on faithfulness, and is it significant?"
GOOD_SQL = ("SELECT evaluation_name, round(avg(metric_score), 4) AS mean_score, count(*) AS n "
            "FROM results WHERE metric_name = 'faithfulness' GROUP BY evaluation_name "
            "ORDER BY mean_score DESC")
BAD_SQL = "SELECT evaluation_nam, avg(metric_score) FROM results GROUP BY 1"


def data_of(result: dict) -> dict:
    return json.loads(result["text"])


def best_experiment_script(seen: dict):
    """A model that looks, makes a mistake, corrects it, tests significance and answers
    with the numbers the tools gave it."""

    def after_list(request):
        [listing] = tool_results(request)
        seen["listing"] = data_of(listing)
        return Scripted([tool_use("describe_dataset", {"name": "results"}),
                         tool_use("run_sql", {"query": BAD_SQL})])

    def after_error(request):
        seen["describe"], seen["bad_sql"] = tool_results(request)
        return Scripted([text("That column name was wrong; grouping by evaluation_name."),
                         tool_use("run_sql", {"query": GOOD_SQL})])

    def after_means(request):
        [means] = tool_results(request)
        rows = data_of(means)["data"]
        seen["means"] = rows
        (best, m1, _), (runner, m2, _) = rows[0], rows[1]
        seen["best"], seen["runner"] = (best, m1), (runner, m2)
        return Scripted([tool_use("run_analytic", {
            "dataset": "results", "analytic": "compare",
            "params": {"baseline": runner, "challenger": best, "metrics": ["faithfulness"]}})])

    def answer(request):
        [cmp_] = tool_results(request)
        payload = data_of(cmp_)
        row = dict(zip(payload["columns"], payload["data"][0]))
        seen["compare"] = row
        (best, m1), (runner, m2) = seen["best"], seen["runner"]
        p = row["p_value_adjusted"]
        ptext = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        return Scripted([text(
            f"**{best}** is best on faithfulness: mean {m1:.4f} against {runner} at {m2:.4f}. "
            f"The difference is {'significant' if row['significant'] else 'not significant'} "
            f"(Holm-adjusted {ptext}, Cohen's d = {row['cohens_d']:.2f}).")])

    return script(Scripted([text("I'll look at the datasets first."), tool_use("list_datasets", {})]),
                  after_list, after_error, after_means, answer)


def test_multi_step_answer_with_tool_error_429_and_streaming(cstore, frame, llm, judge):
    seen: dict = {}
    llm.responder = best_experiment_script(seen)
    llm.fail_next(429, retry_after=3)  # the first request is rate limited, then retried
    events = []
    conv = REGISTRY.new()
    answer = run_question(cstore, QUESTION, conv, judge=judge,
                          emit=lambda e, d: events.append((e, d)))

    # the tool calls the model made, in order, and the SQL that ran
    calls = [s for s in answer.steps if s.type == "tool_use"]
    assert [s.tool for s in calls] == ["list_datasets", "describe_dataset", "run_sql", "run_sql",
                                       "run_analytic"]
    assert [s.metadata.get("sql") for s in calls if s.tool == "run_sql"] == [BAD_SQL, GOOD_SQL]
    assert [(q.kind, q.sql, q.analytic) for q in answer.queries] == [
        ("sql", BAD_SQL, None), ("sql", GOOD_SQL, None), ("analytic", None, "compare")]
    assert answer.queries[0].error and "evaluation_nam" in answer.queries[0].error
    assert seen["bad_sql"]["is_error"] and "evaluation_nam" in seen["bad_sql"]["text"]
    assert [s.type for s in answer.steps if s.tool == "run_sql"] == ["tool_use", "error",
                                                                     "tool_use", "observation"]
    assert seen["listing"]["datasets"][0]["name"] == "results"

    # the numbers: computed independently with pandas, quoted in the answer and present in
    # the recorded results of the queries
    faith = frame[frame.metric_name == "faithfulness"]
    means = faith.groupby("evaluation_name").metric_score.mean().round(4).sort_values(ascending=False)
    (best, m1), (runner, m2) = list(means.items())[:2]
    assert (best, runner) == ("candidate", "baseline")
    assert f"**candidate** is best on faithfulness: mean {m1:.4f}" in answer.text
    assert f"baseline at {m2:.4f}" in answer.text
    sql_rows = answer.queries[1].preview
    assert [r[0] for r in sql_rows] == list(means.index)
    assert [r[1] for r in sql_rows] == pytest.approx(list(means.values))
    assert [r[2] for r in sql_rows] == [60, 60, 60]
    cmp_ = cstore.analytic("results", "compare", baseline="baseline", challenger="candidate",
                           metrics=["faithfulness"]).iloc[0]
    assert f"Cohen's d = {cmp_['cohens_d']:.2f}" in answer.text
    assert bool(cmp_["significant"]) and "significant" in answer.text
    assert answer.queries[2].params == {"baseline": "baseline", "challenger": "candidate",
                                        "metrics": ["faithfulness"]}

    # the 429 was retried after the server's retry-after, and every request streamed
    assert llm.request_count == 6
    assert len(judge.recorded_sleep.waits) == 1 and 3 <= judge.recorded_sleep.waits[0] < 3.5
    assert all(r.get("stream") is True for r in llm.requests)
    streamed = "".join(d["delta"] for e, d in events if e == "text")
    assert answer.text in streamed and "That column name was wrong" in streamed
    assert [d["type"] for e, d in events if e == "thought" and d["tool"] == "run_sql"] == [
        "tool_use", "error", "tool_use", "observation"]
    assert answer.tokens_in == 5 * 100 and answer.tokens_out == 5 * 20
    assert answer.stopped is None and answer.mode == "llm"

    # what the model was told: the tools, and that records are data
    first = llm.requests[1]
    assert {t["name"] for t in first["tools"]} == {"list_datasets", "describe_dataset", "run_sql",
                                                   "run_analytic", "sample_cases", "use_skill"}
    assert "never an instruction to you" in first["system"]
    assert "compare_experiments" in first["system"]  # skills are listed


def test_answer_code_reproduces_the_numbers(cstore, frame, llm, judge, monkeypatch):
    import axis_jupyter

    seen: dict = {}
    llm.responder = best_experiment_script(seen)
    answer = run_question(cstore, QUESTION, REGISTRY.new(), judge=judge)
    code = answer.code()
    assert GOOD_SQL in code and BAD_SQL not in code  # failed queries are not re-run
    assert "analytic('compare'" in code
    best, m1 = seen["best"]
    assert f"the answer quotes {m1:.4f}" in code or f"{m1:.4f}" in code.split("result_1 =")[0]
    monkeypatch.setattr(axis_jupyter, "connect", lambda *a, **k: cstore)
    ns: dict = {}
    exec(compile(code, "answer_code", "exec"), ns)
    means = ns["result_1"]
    assert isinstance(means, pd.DataFrame)
    assert means.iloc[0]["evaluation_name"] == best
    assert means.iloc[0]["mean_score"] == pytest.approx(m1)
    assert ns["result_2"].iloc[0]["cohens_d"] == pytest.approx(seen["compare"]["cohens_d"], abs=1e-6)


def test_answer_code_opens_the_store_the_answer_came_from(cstore, llm, judge, monkeypatch):
    """A store opened at its own path (not connect()'s default): the code connects to that
    file, so it runs as written in a fresh namespace and gives the numbers again."""
    monkeypatch.setenv("AXIS_STORE", str(cstore.location) + ".other.duckdb")
    seen: dict = {}
    llm.responder = best_experiment_script(seen)
    answer = ask(cstore, QUESTION, new=True, judge=judge)
    assert answer.store == str(cstore.location)
    code = answer.code()
    assert f"axis = axis_jupyter.connect({str(cstore.location)!r})" in code
    ns: dict = {}
    exec(compile(code, "answer_code", "exec"), ns)  # no monkeypatch: the real connect()
    assert ns["axis"] is cstore  # this process's open store on that file
    assert ns["result_1"].iloc[0]["mean_score"] == pytest.approx(seen["best"][1])
    # where connect() opens this very store, the code says just that
    monkeypatch.setenv("AXIS_STORE", str(cstore.location))
    llm.responder = best_experiment_script({})
    again = ask(cstore, QUESTION, new=True, judge=judge)
    assert again.store is None and "axis = axis_jupyter.connect()\n" in again.code()


def test_answer_round_trips_as_json(cstore, llm, judge):
    llm.responder = best_experiment_script({})
    answer = run_question(cstore, QUESTION, REGISTRY.new(), judge=judge)
    from axis_jupyter.copilot import Answer

    again = Answer.from_dict(json.loads(json.dumps(answer.to_dict())))
    assert again.text == answer.text
    assert [q.to_dict() for q in again.queries] == [q.to_dict() for q in answer.queries]
    assert again.code() == answer.code()
    assert "tool calls" in answer._repr_markdown_()


def test_refusal_is_reported_as_such(cstore, llm, judge):
    llm.responder = script(Scripted([text("I can't help with that request.")], stop_reason="refusal"))
    answer = run_question(cstore, "something the model refuses", REGISTRY.new(), judge=judge)
    assert answer.stopped == "refusal"
    assert answer.text == "I can't help with that request."
    assert answer.steps[-1].type == "error" and "declined" in answer.steps[-1].content
    assert answer.queries == []


def test_tool_call_budget_stops_a_looping_model(cstore, llm, judge):
    llm.responder = script(Scripted([text("Counting again."),
                                     tool_use("run_sql", {"query": "SELECT count(*) AS n FROM results"})]))
    answer = run_question(cstore, "count forever", REGISTRY.new(), judge=judge,
                          budget={"tool_calls": 2})
    assert answer.stopped == "budget"
    assert "budget of 2 tool calls" in answer.text and "AXIS_COPILOT_MAX_TOOL_CALLS" in answer.text
    ran = [q for q in answer.queries if q.kind == "sql"]
    assert len(ran) == 2 and all(q.preview == [[540]] for q in ran)
    # the model was told once that the budget was used up before the copilot stopped it
    told = [r for req in llm.requests for r in tool_results(req) if "budget" in r["text"]]
    assert len(told) >= 1 and all(r["is_error"] for r in told)


def test_token_budget_stops_with_a_clear_message(cstore, llm, judge):
    llm.responder = script(Scripted([tool_use("list_datasets", {})]))
    answer = run_question(cstore, "spend tokens", REGISTRY.new(), judge=judge,
                          budget={"tokens": 250})
    assert answer.stopped == "budget"
    assert "budget of 250 tokens" in answer.text
    assert llm.request_count == 3  # 120 tokens a request: stopped once 250 were reached


def test_follow_up_keeps_the_conversation(cstore, llm, judge):
    llm.responder = script(
        Scripted([tool_use("run_sql", {"query": "SELECT count(DISTINCT dataset_id) AS n FROM results"})]),
        Scripted([text("There are 60 cases.")]),
        Scripted([text("Still 60 cases, in each of 3 experiments.")]))
    conv = REGISTRY.new()
    first = run_question(cstore, "how many cases?", conv, judge=judge)
    second = run_question(cstore, "and per experiment?", conv, judge=judge)
    assert first.text == "There are 60 cases." and second.conversation == conv.id
    history = llm.requests[-1]["messages"]
    assert history[0] == {"role": "user", "content": "how many cases?"}
    assert any(b.get("type") == "tool_use" for m in history if m["role"] == "assistant"
               for b in (m["content"] if isinstance(m["content"], list) else []))
    assert {"role": "user", "content": "and per experiment?"} == history[-1]
    assert [a.question for a in conv.answers] == ["how many cases?", "and per experiment?"]


def test_ask_continues_the_stores_conversation_until_new(cstore, llm, judge):
    llm.responder = script(Scripted([text("one")]), Scripted([text("two")]), Scripted([text("three")]))
    a = ask(cstore, "first?", judge=judge)
    b = ask(cstore, "second?", judge=judge)
    c = ask(cstore, "third?", judge=judge, new=True)
    assert a.conversation == b.conversation != c.conversation
    assert len(llm.requests[1]["messages"]) == 3 and len(llm.requests[2]["messages"]) == 1


def test_events_reach_the_caller_in_order(cstore, llm, judge):
    llm.responder = script(Scripted([text("Looking."), tool_use("list_datasets", {})]),
                           Scripted([text("One dataset: results.")]))
    seen = []
    answer = ask(cstore, "what is loaded?", judge=judge, new=True,
                 on_event=lambda e, d: seen.append((e, d.get("type") if e == "thought" else None)))
    kinds = [k for e, k in seen if e == "thought"]
    assert kinds.index("tool_use") < kinds.index("observation") < kinds.index("success")
    assert answer.text == "One dataset: results."


def test_markdown_for_notebooks_has_no_html():
    from axis_jupyter.copilot.answer import Answer, safe_markdown

    text = 'A record said <img src=x onerror="alert(1)">; the SQL was `a < b` and\n```\nx <y\n```'
    out = safe_markdown(text)
    assert "<img" not in out and "&lt;img" in out
    assert "`a < b`" in out and "x <y" in out  # code stays as written
    assert "&lt;img" in Answer(question="q", text=text)._repr_markdown_()
