"""The alignment routes on a real Jupyter server (in-process, base_url /a%40b/): labels as
the authenticated user, undo, import, pages, errors that name the parameter."""

from __future__ import annotations

import warnings

import pytest
from axis_helpers import strict_json

ITEMS = "dataset_id,query,actual_output\n" + "".join(
    f"r{i:02d},question {i},answer {i}\n" for i in range(1, 9))


@pytest.fixture
def items(axis_state, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "owner")  # the server process's owner name
    p = tmp_path / "items.csv"
    p.write_text(ITEMS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        axis_state.store.load(str(p), name="items")
    return axis_state.store


async def ok(resp, code=200):
    assert resp.code == code, resp.body
    return strict_json(resp)


async def test_labels_are_written_as_the_authenticated_user(api, items):
    who = await ok(await api("GET", "alignment", "datasets", "items", "whoami"))
    assert who["annotator"] == "owner"
    label = await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                               body={"record_id": "r02", "judgment": "accept", "tags": ["ok"]}))
    assert label["annotator"] == "owner" and label["judgment"] == 1 and label["revision"] >= 1
    # nobody can name another annotator in the request
    r = await api("POST", "alignment", "datasets", "items", "annotations",
                  body={"record_id": "r03", "judgment": 1, "annotator": "mallory"})
    body = strict_json(r)
    assert r.code == 400 and "annotator" in body["error"] and body["type"] == "bad_parameter"
    labels = await ok(await api("GET", "alignment", "datasets", "items", "annotations"))
    assert [(a["record_id"], a["annotator"]) for a in labels["annotations"]] == [("r02", "owner")]
    # null clears a field
    cleared = await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                                 body={"record_id": "r02", "tags": None, "critique": "why"}))
    assert cleared["tags"] == [] and cleared["judgment"] == 1 and cleared["critique"] == "why"


async def test_undo_and_its_conflicts(api, items):
    first = await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                               body={"record_id": "r01", "judgment": 0}))
    await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                       body={"record_id": "r01", "judgment": 1}))
    undone = await ok(await api("POST", "alignment", "datasets", "items", "annotations", "undo",
                                body={}))
    assert undone["judgment"] == 0 and not undone["deleted"]
    gone = await ok(await api("POST", "alignment", "datasets", "items", "annotations", "undo",
                              body={"revision": first["revision"]}))
    assert gone["deleted"] and gone["judgment"] is None
    again = await api("POST", "alignment", "datasets", "items", "annotations", "undo",
                      body={"revision": first["revision"]})
    assert again.code == 409 and "already undone" in strict_json(again)["error"]
    nothing = await api("POST", "alignment", "datasets", "items", "annotations", "undo", body={})
    assert nothing.code == 404
    hist = await ok(await api("GET", "alignment", "datasets", "items", "annotations", "history",
                              params={"record_id": "r01"}))
    assert [h["action"] for h in hist["history"]] == ["set", "set", "undo", "undo"]


async def test_import_writes_only_your_own_labels(api, items):
    rows = [{"dataset_id": "r04", "judgment": "reject", "critique": "bad"},
            {"dataset_id": "r05", "judgment": "accept", "annotator": "someone_else"}]
    r = await api("POST", "alignment", "datasets", "items", "annotations", "import",
                  body={"rows": rows})
    body = strict_json(r)
    assert r.code == 400 and "someone_else" in body["error"] and "annotator" in body["error"]
    assert (await ok(await api("GET", "alignment", "datasets", "items", "annotations")))[
        "annotations"] == []
    rows[1]["annotator"] = "owner"
    summary = await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                                 "import", body={"rows": rows}))
    assert summary["inserted"] == 2 and summary["annotators"] == ["owner"]
    export = await ok(await api("GET", "alignment", "datasets", "items", "annotations", "export",
                                params={"include_unlabelled": "false"}))
    assert [r["judgment"] for r in export["rows"]] == ["reject", "accept"]
    assert "query" in export["columns"] and "user_tags" in export["columns"]


async def test_pages_and_records(api, items):
    await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                       body={"record_id": "r03", "flagged": True, "score": 2}))
    page = await ok(await api("GET", "alignment", "datasets", "items", "records",
                              params={"status": "pending", "limit": "3"}))
    assert page["total"] == 8 and page["pending"] == 7 and page["flagged"] == 1
    assert [r["record_id"] for r in page["records"]] == ["r01", "r02", "r04"]
    rec = await ok(await api("GET", "alignment", "datasets", "items", "record",
                             params={"position": "0", "status": "flagged"}))
    assert rec["record_id"] == "r03" and rec["mine"]["score"] == 2.0
    assert rec["fields"]["query"] == "question 3"


@pytest.mark.parametrize("params,param", [({"status": "done"}, "status"),
                                          ({"limit": "0"}, "limit"),
                                          ({"offset": "-1"}, "offset")])
async def test_bad_page_parameters_are_400_naming_them(api, items, params, param):
    r = await api("GET", "alignment", "datasets", "items", "records", params=params)
    body = strict_json(r)
    assert r.code == 400 and param in body["error"]


async def test_unknown_dataset_and_record_are_404(api, items):
    r = await api("GET", "alignment", "datasets", "nope", "records")
    assert r.code == 404 and "nope" in strict_json(r)["error"]
    r = await api("POST", "alignment", "datasets", "items", "annotations",
                  body={"record_id": "zz", "judgment": 1})
    assert r.code == 404 and "zz" in strict_json(r)["error"]
    r = await api("GET", "alignment", "calibrations", "0123456789ab")
    assert r.code == 404


async def test_calibration_without_a_key_is_refused_up_front(api, items, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    await ok(await api("POST", "alignment", "datasets", "items", "annotations",
                       body={"record_id": "r01", "judgment": 1}))
    r = await api("POST", "alignment", "datasets", "items", "calibrations", body={})
    body = strict_json(r)
    assert r.code == 400 and "ANTHROPIC_API_KEY" in body["error"]
    jobs = await ok(await api("GET", "jobs", params={"kind": "calibration"}))
    assert jobs["jobs"] == []
    # local pattern discovery still runs
    r = await api("POST", "alignment", "datasets", "items", "patterns", body={"method": "llm"})
    assert r.code == 400 and "ANTHROPIC_API_KEY" in strict_json(r)["error"]


async def test_judges_are_saved_and_versioned(api, items):
    judge = {"name": "strict", "evaluation_criteria": "Reject anything vague."}
    v1 = await ok(await api("POST", "alignment", "judges", body={"judge": judge}))
    same = await ok(await api("POST", "alignment", "judges", body={"judge": judge}))
    assert v1["judge"]["version"] == same["judge"]["version"] == 1
    judge["evaluation_criteria"] = "Reject anything vague or unsourced."
    v2 = await ok(await api("POST", "alignment", "judges", body={"judge": judge, "note": "tighter"}))
    assert v2["judge"]["version"] == 2
    listed = await ok(await api("GET", "alignment", "judges", params={"name": "strict"}))
    assert [j["version"] for j in listed["judges"]] == [1, 2]
    got = await ok(await api("GET", "alignment", "judges", "strict", params={"version": "1"}))
    assert got["judge"]["evaluation_criteria"] == "Reject anything vague."
    bad = await api("POST", "alignment", "judges",
                    body={"judge": {"system_prompt": "no placeholder"}})
    assert bad.code == 400 and "{evaluation_criteria}" in strict_json(bad)["error"]
    defaults = await ok(await api("GET", "alignment", "defaults"))
    assert "{evaluation_criteria}" in defaults["system_prompt"]
