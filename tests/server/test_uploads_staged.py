"""Staged uploads over HTTP (the data manager): stream, preview with a mapping, commit as a
job (a failed load keeps the staged file), discard; and the branding route."""

from __future__ import annotations

import pytest
from axis_helpers import multipart, strict_json

CSV = ("dataset_id,question,exp,metric_name,my_score\n"
       + "".join(f"c{i},q{i},{'a' if i % 2 else 'b'},m{i % 3},{(i % 10) / 10}\n" for i in range(300))).encode()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AXIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AXIS_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    return tmp_path


async def stage(api):
    body, ctype = multipart({}, ("My Results.csv", CSV))
    r = await api("POST", "uploads", body=body, headers={"Content-Type": ctype})
    assert r.code == 201, r.body
    return strict_json(r)


async def test_stage_preview_commit(api, axis_state):
    staged = await stage(api)
    assert staged["filename"] == "My_Results.csv" and staged["bytes"] == len(CSV)
    p = staged["preview"]
    # as detected, my_score is a wide metric column and exp a plain one
    assert (p["kind"], p["layout"]) == ("evals", "wide")
    assert {c["name"]: c["role"] for c in p["columns"]}["my_score"] == "metric (wide)"
    assert [c["canonical"] for c in p["columns"]][:2] == ["dataset_id", "query"]
    assert len(axis_state.store.datasets()) == 0

    mapping = {"my_score": "metric_score", "exp": "evaluation_name"}
    r = await api("POST", "uploads", staged["upload"], "preview", body={"mapping": mapping})
    p = strict_json(r)
    assert (p["kind"], p["layout"]) == ("evals", "flat_format") and p["error"] is None

    r = await api("POST", "uploads", staged["upload"], "commit", body={"name": "mine", "mapping": mapping})
    assert r.code == 202, r.body
    job = strict_json(r)["job"]
    assert job["kind"] == "upload" and job["params"]["upload"] == staged["upload"]
    await axis_state.jobs.get(job["id"]).wait()
    done = strict_json(await api("GET", "jobs", job["id"]))
    assert done["state"] == "succeeded" and done["result"]["rows"] == 300
    assert axis_state.store.info("mine")["filter_values"]["evaluation_name"] == ["a", "b"]
    r = await api("POST", "uploads", staged["upload"], "preview", body={})
    assert r.code == 404  # committed: gone


async def test_failed_commit_keeps_the_file_and_discard_removes_it(api, axis_state):
    staged = await stage(api)
    r = await api("POST", "uploads", staged["upload"], "commit", body={"name": "x", "kind": "kpi"})
    job = strict_json(r)["job"]
    await axis_state.jobs.get(job["id"]).wait()
    failed = strict_json(await api("GET", "jobs", job["id"]))
    assert failed["state"] == "failed" and "kpi" in failed["error"]
    r = await api("POST", "uploads", staged["upload"], "preview", body={"mapping": {"my_score": "metric_score"}})
    assert r.code == 200 and strict_json(r)["kind"] == "evals"  # still there to map and retry
    r = await api("DELETE", "uploads", staged["upload"])
    assert strict_json(r) == {"upload": staged["upload"], "discarded": True}
    r = await api("DELETE", "uploads", staged["upload"])
    assert r.code == 404


async def test_bad_input_names_the_parameter(api):
    staged = await stage(api)
    r = await api("POST", "uploads", staged["upload"], "preview", body={"mapping": {"a": 3}})
    assert r.code == 400 and "mapping" in strict_json(r)["error"]
    r = await api("POST", "uploads", staged["upload"], "commit", body={"name": "1 bad"})
    assert r.code == 400
    r = await api("POST", "uploads", "0123456789abcdef", "preview", body={})
    assert r.code == 404


async def test_branding_route(api, home):
    r = await api("GET", "branding")
    assert strict_json(r)["theme"]["key"] == "default" and strict_json(r)["agents"] == []
    (home / "config" / "agents.yaml").write_text("- {name: atlas, label: Atlas, role: Support}\n")
    assert strict_json(await api("GET", "branding"))["agents"][0]["label"] == "Atlas"
    (home / "config" / "theme.yaml").write_text("palettes:\n  a: {primary: blue}\n")
    r = await api("GET", "branding")
    assert r.code == 400 and "palettes.a.primary" in strict_json(r)["error"]

