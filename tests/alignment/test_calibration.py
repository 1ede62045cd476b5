"""``axis.calibrate`` on an embedded store (a job of the store's runner) against the loopback
Messages API with the real anthropic client: records, metrics equal to an independent
computation, judges from dicts, YAML files and saved names, analyses, apply and re-run."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from axis_jupyter.alignment import agreement
from axis_jupyter.alignment import judges as J
from axis_jupyter.errors import NotFoundError, ParameterError
from axis_jupyter.llm import LLMNotConfigured
from tests.support.llm_server import tool_name, user_payload

N = 10


def human(i):
    return 0 if i % 3 == 0 else 1


def responder(request):
    name = tool_name(request)
    payload = user_payload(request)
    if name == "record_verdict":
        i = int(re.search(r"\d+", payload["query"]).group())
        strict = "STRICT" in request["system"]
        return {"score": human(i) if strict else (0 if i % 2 == 0 else 1), "reasoning": f"item {i}"}
    if name == "report_misalignment":
        ids = [e["id"] for e in payload["false_positives"] + payload["false_negatives"]]
        return {"summary": "mixed", "recommendations": ["x"], "patterns": [
            {"pattern_type": "false_negative", "description": "evens", "example_ids": ids}]}
    if name == "propose_criteria":
        return {"optimized_criteria": "STRICT rules.", "suggestions": [
            {"aspect": "a", "suggestion": "b", "rationale": "c"}]}
    raise AssertionError(name)


@pytest.fixture
def labelled(ann_store):
    ann = ann_store.annotations("items")
    for i in range(1, N + 1):
        ann.set(f"r{i:02d}", judgment=human(i), critique=f"note {i}")
    return ann_store


def test_no_key_is_refused_before_any_job(labelled):
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY"):
        labelled.calibrate("items")
    assert labelled.jobs.list("calibration") == []


def test_nothing_labelled_and_bad_judges_are_refused(ann_store, llm_server):
    with pytest.raises(ParameterError, match="no records of 'items' are labelled"):
        ann_store.calibrate("items")
    with pytest.raises(ParameterError, match="evaluation_criteria"):
        ann_store.calibrate("items", judge={"system_prompt": "no placeholder"})
    with pytest.raises(ParameterError, match="no setting .colour."):
        ann_store.calibrate("items", judge={"colour": "red"})
    with pytest.raises(NotFoundError, match="no saved judge 'nobody'"):
        ann_store.calibrate("items", judge="nobody")
    assert llm_server.request_count == 0


def test_calibrate_end_to_end(labelled, llm_server, tmp_path):
    llm_server.responder = responder
    events = []
    cal = labelled.calibrate("items", judge={"name": "j", "evaluation_criteria": "be fair"},
                             progress=lambda e, d: events.append((e, d)))
    humans = [human(i) for i in range(1, N + 1)]
    judged = [0 if i % 2 == 0 else 1 for i in range(1, N + 1)]
    assert list(cal.records["record_id"]) == [f"r{i:02d}" for i in range(1, N + 1)]
    assert list(cal.records["human"]) == humans and list(cal.records["judge"]) == judged
    assert cal.metrics.to_dict() == agreement(humans, judged).to_dict()
    assert cal.judge.name == "j" and cal.judge.version == 1
    done = [d["done"] for e, d in events if e == "progress" and "done" in d]
    assert done[-1] == N and done == sorted(done)
    assert set(cal.disagreements()["record_id"]) == {
        f"r{i:02d}" for i in range(1, N + 1) if humans[i - 1] != judged[i - 1]}
    # the same judge again: no new version; the saved one by name
    again = labelled.calibrate("items", judge="j@1")
    assert again.judge.version == 1 and again.run_id != cal.run_id
    # analyses, apply, history
    mis = cal.misalignment()
    assert mis["total_misaligned"] == len(cal.disagreements()) and mis["patterns"][0]["count"] > 0
    opt = cal.optimize()
    assert opt["evaluation_criteria"] == "STRICT rules." and opt["original_criteria"] == "be fair"
    better = cal.apply()
    assert better.judge.version == 2 and better.metrics.kappa == 1.0
    hist = better.history()
    assert list(hist["judge_version"]) == [1, 2] and list(hist["runs"]) == [2, 1]
    assert list(J.versions(labelled, "j")["version"]) == [1, 2]
    # few-shot examples guided by the misalignments: the person's label and critique
    shots = cal.suggest_examples("misalignment", count=3)
    first = shots["examples"][0]
    assert first["record_id"] in set(cal.disagreements()["record_id"])
    assert first["score"] == human(int(first["record_id"][1:])) and first["reasoning"].startswith("note")
    with_examples = cal.with_examples(shots["examples"])
    assert len(with_examples.few_shot_examples) == 3 and with_examples.version is None
    # a YAML judge file
    path = tmp_path / "strict.yaml"
    path.write_text(yaml.safe_dump({"evaluation_criteria": "STRICT from a file", "temperature": 0.2}))
    from_file = labelled.calibrate("items", judge=str(path))
    assert from_file.judge.name == "strict" and from_file.metrics.kappa == 1.0
    sent = [r for r in llm_server.requests if "STRICT from a file" in r["system"]]
    assert sent and sent[0].get("temperature") == 0.2
    json.dumps(cal.metrics.to_dict())


def test_unknown_annotator_labels_are_not_there(labelled, llm_server):
    with pytest.raises(ParameterError, match="by nobody"):
        labelled.calibrate("items", annotator="nobody")


def test_concurrency_limit_retries_and_at_most_ten_errors_each_to_the_analysis(ann_store, llm_server):
    """Twelve records people rejected, a judge that accepts them all: at most five calls in
    flight at once (the default limit), a 429 retried, and the misalignment analysis gets
    ten of the twelve false positives (the ones in record order) while counting all."""
    import threading

    ann = ann_store.annotations("items")
    for i in range(1, 13):
        ann.set(f"r{i:02d}", judgment=0, critique=f"wrong {i}")
    wake = threading.Condition()
    state = {"in_flight": 0, "most": 0, "started": 0}
    sent = []

    def responder(request):
        if tool_name(request) == "report_misalignment":
            sent.append(user_payload(request))
            return {"summary": "too lenient", "recommendations": ["reject more"], "patterns": []}
        with wake:
            state["in_flight"] += 1
            state["started"] += 1
            state["most"] = max(state["most"], state["in_flight"])
            wake.notify_all()
            # hold each call until five are in flight (the last two: until both came): a
            # limit above five would show as more than five here, one below as fewer
            wake.wait_for(lambda: state["in_flight"] >= 5 or state["started"] == 12, timeout=5)
        with wake:
            state["in_flight"] -= 1
        return {"score": 1, "reasoning": "looks fine"}

    llm_server.responder = responder
    llm_server.fail_next(429, retry_after=0)
    cal = ann_store.calibrate("items", judge={"name": "lenient"})
    assert state["most"] == 5
    assert cal.metrics.n == 12 and cal.metrics.confusion == [[0, 12], [0, 0]]
    assert cal.data["usage"]["retries"] == 1 and llm_server.request_count == 13
    mis = cal.misalignment()
    [payload] = sent
    assert [e["id"] for e in payload["false_positives"]] == [f"r{i:02d}" for i in range(1, 11)]
    assert payload["false_negatives"] == []
    assert mis["false_positives"] == 12 and mis["total_misaligned"] == 12


def test_analyses_without_a_key_are_refused_before_any_call(labelled, llm_server, monkeypatch):
    llm_server.responder = responder
    cal = labelled.calibrate("items", judge={"name": "j", "evaluation_criteria": "be fair"})
    calls = llm_server.request_count
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY"):
        cal.misalignment()
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY"):
        cal.optimize()
    with pytest.raises(LLMNotConfigured, match="ANTHROPIC_API_KEY"):
        cal.apply()
    assert llm_server.request_count == calls
    assert list(J.versions(labelled, "j")["version"]) == [1]  # apply saved no new version
    # the labels, the run and its metrics are all still there
    assert cal.history()["runs"].tolist() == [1] and len(labelled.annotations("items").frame()) == N
