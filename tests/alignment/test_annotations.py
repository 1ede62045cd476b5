"""Annotations in the store: set, undo (20 steps), history, import merge without loss,
export round trip, record pages and filters, and survival across reopening the file."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import axis_jupyter
from axis_jupyter.alignment import Annotations
from axis_jupyter.errors import ConflictError, NotFoundError, ParameterError

from alignment_helpers import SAMPLE, make_records_csv


def test_set_changes_only_the_given_fields_and_the_default_annotator_is_the_hub_user(ann_store):
    ann = Annotations(ann_store, "items")
    assert ann.annotator == "alice"
    first = ann.set("r01", judgment="accept", tags=["correct", "concise"], critique="fine")
    assert first["judgment"] == 1 and first["changed"] and first["revision"] >= 1
    second = ann.set("r01", flagged=True)
    assert second["judgment"] == 1 and second["tags"] == ["correct", "concise"] and second["flagged"]
    same = ann.set("r01", flagged=True)
    assert same["changed"] is False and same["revision"] == second["revision"]
    cleared = ann.set("r01", critique=None, score=4)
    assert cleared["critique"] is None and cleared["score"] == 4.0
    df = ann.frame()
    assert len(df) == 1 and df.loc[0, "annotator"] == "alice" and df.loc[0, "tags"] == ["correct", "concise"]
    assert list(ann.history()["action"]) == ["set", "set", "set"]


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(ann_store):
    ann = Annotations(ann_store, "items")
    with pytest.raises(ParameterError, match="judgment"):
        ann.set("r01", judgment="maybe")
    with pytest.raises(ParameterError, match="score"):
        ann.set("r01", score="high")
    with pytest.raises(ParameterError, match=r"tags\[1\]"):
        ann.set("r01", tags=["ok", 3])
    with pytest.raises(NotFoundError, match="r99"):
        ann.set("r99", judgment=1)
    with pytest.raises(NotFoundError):
        Annotations(ann_store, "nope")
    assert ann.frame().empty and ann.history().empty


def test_undo_twenty_steps_back_to_nothing(ann_store):
    ann = Annotations(ann_store, "items")
    states = []  # (record, judgment after the change)
    for step in range(20):
        rid = f"r{step % 4 + 1:02d}"
        ann.set(rid, judgment=step % 2, critique=f"step {step}")
        states.append(rid)
    for step in reversed(range(20)):
        out = ann.undo()
        rid = states[step]
        earlier = [s for s in range(step) if states[s] == rid]
        if earlier:
            assert out["critique"] == f"step {earlier[-1]}" and not out["deleted"]
        else:
            assert out["deleted"] and out["judgment"] is None
    assert ann.frame().empty
    with pytest.raises(NotFoundError, match="nothing"):
        ann.undo()
    hist = ann.history()
    assert (hist["action"] == "set").sum() == 20 and (hist["action"] == "undo").sum() == 20


def test_undo_is_refused_when_the_record_changed_since(ann_store):
    ann = Annotations(ann_store, "items")
    mine = ann.set("r02", judgment=1)
    bob = Annotations(ann_store, "items", annotator="bob")
    bob.set("r02", judgment=0)  # bob's label is his own: it does not block alice's undo
    newer = pd.Timestamp.now("UTC").tz_localize(None) + pd.Timedelta(hours=1)
    ann_store_rows = [{"record_id": "r02", "judgment": "reject", "updated_at": newer.isoformat()}]
    from axis_jupyter.alignment import annotation_store as S

    S.import_rows(ann_store, "items", ann_store_rows, "alice")
    with pytest.raises(ConflictError, match="changed after"):
        ann.undo(mine["revision"])
    assert ann.frame("alice").loc[0, "judgment"] == 0  # the import's value stands
    with pytest.raises(NotFoundError):
        bob.undo(mine["revision"])  # not bob's change
    with pytest.raises(ParameterError, match="revision"):
        ann.undo("3")


def test_import_merges_newer_wins_and_keeps_everything(ann_store, tmp_path):
    ann = Annotations(ann_store, "items")
    ann.set("r01", judgment=1, critique="mine, now")
    t_old, t_new = "2020-01-01T10:00:00", "2999-01-01T10:00:00"
    csv = tmp_path / "labels.csv"
    pd.DataFrame([
        {"record_id": "r01", "judgment": "reject", "critique": "old file label", "updated_at": t_old},
        {"record_id": "r02", "judgment": "accept", "critique": "from file", "updated_at": t_old},
        {"record_id": "r02", "judgment": "reject", "critique": "newer in file", "updated_at": t_new},
        {"record_id": "r03", "judgment": "", "critique": "", "updated_at": ""},
        {"record_id": "zz", "judgment": "1", "critique": "unknown record", "updated_at": t_old},
        {"record_id": "r04", "judgment": "4", "critique": "a score in judgment", "updated_at": ""},
    ]).to_csv(csv, index=False)
    summary = ann.import_csv(csv)
    assert summary == {"rows": 6, "inserted": 3, "updated": 0, "kept_older": 2, "unchanged": 0,
                       "empty": 1, "unknown_records": 1, "annotators": ["alice"]}
    cur = ann.frame().set_index("record_id")
    assert cur.loc["r01", "critique"] == "mine, now"            # newer than the file's
    assert cur.loc["r02", "critique"] == "newer in file"        # newest row of the file
    assert cur.loc["r04", "score"] == 4.0 and pd.isna(cur.loc["r04", "judgment"])
    hist = ann.history()
    kept = hist[~hist["applied"]]
    assert set(kept["critique"]) == {"old file label", "from file"}  # nothing dropped
    again = ann.import_csv(csv)
    assert again["inserted"] == 0 and again["updated"] == 0 and again["unchanged"] == 5
    assert len(ann.history()) == len(hist)  # a re-import adds no history


def test_a_bad_row_stops_the_import_before_anything_is_written(ann_store, tmp_path):
    ann = Annotations(ann_store, "items")
    csv = tmp_path / "bad.csv"
    pd.DataFrame([{"dataset_id": "r01", "judgment": "accept"},
                  {"dataset_id": "r02", "judgment": "sort of"}]).to_csv(csv, index=False)
    with pytest.raises(ParameterError, match="row 2.*judgment"):
        ann.import_csv(csv)
    assert ann.frame().empty and ann.history().empty


def test_export_and_import_round_trip_into_another_store(ann_store, tmp_path):
    ann = Annotations(ann_store, "items")
    ann.set("r01", judgment=1, tags=["a", "b"], critique="good, really")
    ann.set("r02", judgment=0, flagged=True, critique='quote " and, comma')
    Annotations(ann_store, "items", annotator="bob").set("r01", judgment=0, score=2)
    path = ann.export(tmp_path / "out.csv")
    exported = pd.read_csv(path)
    assert {"record_id", "query", "actual_output", "annotator", "judgment", "critique",
            "user_tags", "annotation_flagged", "updated_at"} <= set(exported.columns)
    assert len(exported) == 13  # 12 records, r01 twice (alice and bob)
    other = axis_jupyter.LocalStore(tmp_path / "other.duckdb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other.load(str(tmp_path / "items.csv"), name="items")
        imported = Annotations(other, "items")
        summary = imported.import_csv(path)
        assert summary["inserted"] == 3 and summary["annotators"] == ["alice", "bob"]
        cols = ["record_id", "annotator", "judgment", "score", "tags", "critique", "flagged",
                "updated_at"]
        a = ann.frame()[cols].sort_values(["record_id", "annotator"]).reset_index(drop=True)
        b = imported.frame()[cols].sort_values(["record_id", "annotator"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    finally:
        other.close()


def test_the_reference_sample_imports_as_labels(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(str(SAMPLE), name="sample")
    ann = Annotations(store, "sample")
    summary = ann.import_csv(SAMPLE)
    assert summary["rows"] == 10 and summary["inserted"] + summary["empty"] == 10
    df = ann.frame().set_index("record_id")
    assert df.loc["ann_001", "judgment"] == 1 and df.loc["ann_001", "tags"] == ["Excellent"]


def test_record_pages_filters_and_positions(ann_store):
    ann = Annotations(ann_store, "items")
    ann.set("r02", judgment=1)
    ann.set("r05", score=3, flagged=True)
    ann.set("r07", flagged=True)
    page = ann.records(limit=5)
    assert page["total"] == 12 and page["labelled"] == 2 and page["pending"] == 10
    assert page["flagged"] == 2 and list(page["records"]["record_id"]) == ["r01", "r02", "r03", "r04", "r05"]
    pending = ann.records(status="pending", limit=100)
    assert pending["matching"] == 10 and "r02" not in set(pending["records"]["record_id"])
    flagged = ann.records(status="flagged")
    assert list(flagged["records"]["record_id"]) == ["r05", "r07"]
    assert list(ann.records(status="labelled")["records"]["position"]) == [0, 1]
    found = ann.records(search="question 1")  # question 1, 10, 11, 12
    assert found["matching"] == 4
    rec = ann.record(position=1, status="flagged")
    assert rec["record_id"] == "r07" and rec["position"] == 1 and rec["fields"]["query"] == "question 7"
    by_id = ann.record("r05")
    assert by_id["position"] == 4 and by_id["annotations"][0]["score"] == 3.0
    with pytest.raises(NotFoundError):
        ann.record(position=5, status="flagged")
    with pytest.raises(ParameterError, match="status"):
        ann.records(status="done")


def test_compared_answers_are_separate_records(store, tmp_path):
    csv = tmp_path / "cmp.csv"
    csv.write_text("dataset_id,evaluation_name,query,actual_output,metric_name,metric_score\n"
                   "q1,base,Q1,A1,acc,0.5\nq1,new,Q1,B1,acc,0.7\nq2,base,Q2,A2,acc,0.1\n"
                   "q2,new,Q2,B2,acc,0.9\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.load(str(csv), name="cmp")
    ann = Annotations(store, "cmp")
    ids = list(ann.records()["records"]["record_id"])
    assert ids == ["base/q1", "new/q1", "base/q2", "new/q2"]
    assert ann.record("new/q2")["fields"]["actual_output"] == "B2"


def test_labels_survive_closing_and_reopening_the_store(tmp_path):
    path = tmp_path / "s.duckdb"
    s = axis_jupyter.LocalStore(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.load(str(make_records_csv(tmp_path / "items.csv")), name="items")
    Annotations(s, "items").set("r03", judgment=0, critique="wrong")
    s.close()
    s2 = axis_jupyter.LocalStore(path)
    try:
        df = Annotations(s2, "items").frame()
        assert list(df["record_id"]) == ["r03"] and df.loc[0, "critique"] == "wrong"
    finally:
        s2.close()


def test_next_and_previous_follow_file_order_even_when_the_list_changes(ann_store):
    ann = Annotations(ann_store, "items")
    from axis_jupyter.alignment import records

    first = records.record_at(ann_store, "items", "alice", status="pending")
    assert first["record_id"] == "r01" and first["position"] == 0
    ann.set("r01", judgment=1)  # r01 leaves the pending list
    nxt = records.record_at(ann_store, "items", "alice", after="r01", status="pending")
    assert nxt["record_id"] == "r02" and nxt["position"] == 0
    ann.set("r03", judgment=0)
    assert records.record_at(ann_store, "items", "alice", after="r02",
                             status="pending")["record_id"] == "r04"
    assert records.record_at(ann_store, "items", "alice", before="r04",
                             status="pending")["record_id"] == "r02"
    with pytest.raises(NotFoundError, match="after 'r12'"):
        records.record_at(ann_store, "items", "alice", after="r12")
