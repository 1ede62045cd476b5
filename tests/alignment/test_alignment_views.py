"""The annotate and calibrate views: payload numbers against the engine, the kernel round
trip of the widget, the acting user, and the magic."""

from __future__ import annotations

import warnings

import pytest

from axis_jupyter.alignment import Annotations
from axis_jupyter.alignment.demo import records as demo_records
from axis_jupyter.alignment.identity import acting_as
from axis_jupyter.errors import ParameterError
from axis_jupyter.payloads import call_action


@pytest.fixture
def support(store):
    frame, labels = demo_records(12, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(frame, name="support")
    return store, labels


def test_annotate_payload_counts_and_pages_match_the_store(support):
    store, _ = support
    ann = Annotations(store, "support")
    ann.set("case_002", judgment=1)
    ann.set("case_005", flagged=True)
    p = call_action(store, "support", "annotate", "payload", {"status": "pending"})
    assert p["annotator"] == "alice" and p["counts"] == {"total": 12, "matching": 11, "labelled": 1,
                                                         "pending": 11, "flagged": 1}
    assert p["record"]["record_id"] == "case_001" and p["record"]["position"] == 0
    assert [r["record_id"] for r in p["page"]["records"]][:3] == ["case_001", "case_003", "case_004"]
    assert p["record"]["fields"]["query"] == "How do I reset my password?"


def test_annotate_label_and_undo_act_as_the_face_decides(support):
    store, _ = support
    with acting_as("bob"):
        out = call_action(store, "support", "annotate", "label",
                          {"record_id": "case_001", "judgment": 0, "critique": "too long"})
        assert out["label"]["annotator"] == "bob" and out["counts"]["labelled"] == 1
    assert Annotations(store, "support", annotator="bob").frame().loc[0, "critique"] == "too long"
    assert Annotations(store, "support").frame("alice").empty  # alice labelled nothing
    with pytest.raises(ParameterError, match="annotator"):
        call_action(store, "support", "annotate", "label", {"record_id": "case_001", "judgment": 1,
                                                            "annotator": "mallory"})
    with acting_as("bob"):
        undone = call_action(store, "support", "annotate", "undo", {})
    assert undone["label"]["deleted"] and undone["counts"]["labelled"] == 0


def test_next_record_while_labelling_pending(support):
    store, _ = support
    call_action(store, "support", "annotate", "label", {"record_id": "case_001", "judgment": 1})
    nxt = call_action(store, "support", "annotate", "record", {"after": "case_001", "status": "pending"})
    assert nxt["record_id"] == "case_002" and nxt["position"] == 0


def test_annotate_widget_answers_calls_through_the_kernel(support):
    from axis_jupyter import Annotate

    store, _ = support
    w = Annotate("support", store=store, status="pending", mode="1-5")
    assert w.params == {"status": "pending", "mode": "1-5"}
    assert w.snapshot["counts"]["pending"] == 12
    reply = w.handle_call({"kind": "axis-call", "id": "1", "action": "label",
                           "params": {"record_id": "case_003", "score": 4}})
    assert reply["result"]["label"]["score"] == 4.0 and reply["result"]["counts"]["labelled"] == 1
    bad = w.handle_call({"kind": "axis-call", "id": "2", "action": "label",
                         "params": {"record_id": "case_003", "score": "high"}})
    assert "score" in bad["error"]


def test_calibrate_payload_without_runs_or_key(support):
    store, labels = support
    from axis_jupyter.alignment import annotation_store as S

    S.import_rows(store, "support", labels, "alice")
    p = call_action(store, "support", "calibrate", "payload", {})
    rejects = sum(l["judgment"] == "reject" for l in labels)
    assert p["labelled"]["total"] == 12 and p["labelled"]["rejects"] == rejects
    assert p["run"] is None and p["llm_configured"] is False and p["runs"] == []
    assert "{evaluation_criteria}" in p["judge"]["system_prompt"]
    shots = call_action(store, "support", "calibrate", "fewshot", {"strategy": "balanced", "count": 4})
    assert [e["score"] for e in shots["examples"]].count(1) == 2


def test_magic_shows_the_views_and_refuses_a_calibration_without_a_key(ip, tmp_path, capsys):
    frame, labels = demo_records(6)
    ip.user_ns["frame"] = frame
    ip.run_line_magic("axis", "load frame --name support")
    w = ip.run_line_magic("axis", "show annotate support status=pending mode=custom min=0 max=3")
    assert w.view == "annotate" and w.params["max"] == 3 and w.snapshot["counts"]["total"] == 6
    c = ip.run_line_magic("axis", "show calibrate support")
    assert c.view == "calibrate" and c.snapshot["labelled"]["total"] == 0
    capsys.readouterr()
    assert ip.run_line_magic("axis", "calibrate support") is None
    err = capsys.readouterr().err
    assert "AXIS error" in err and "no records of 'support' are labelled" in err
