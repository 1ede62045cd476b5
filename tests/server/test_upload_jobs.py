"""Uploads as jobs, the streaming multipart parser, and the job runner on its own."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from axis_helpers import EVAL_CSV, multipart, strict_json

from axis_jupyter.errors import ConflictError, NotFoundError
from axis_jupyter.jobs import JobCancelled, JobRunner
from axis_jupyter_server.multipart import MultipartStream, UploadError, boundary_from


# ----------------------------------------------------------------------------- upload job
def big_csv(n: int) -> bytes:
    lines = ["dataset_id,query,metric_name,metric_score"]
    lines += [f"c{i},question number {i} with some padding text,m{i % 3},{(i % 10) / 10}"
              for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


async def test_multipart_csv_upload_runs_as_a_job(api, jp_fetch, axis_state, tmp_path):
    data = big_csv(60_000)  # a few MB: arrives in many chunks
    body, ctype = multipart({"name": "big", "kind": "evals"}, ("big.csv", data))
    r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype})
    assert r.code == 202, r.body
    reply = strict_json(r)
    job_id = reply["job"]["id"]
    assert reply["job"]["kind"] == "upload"
    assert reply["job"]["params"] == {"name": "big", "kind": "evals", "filename": "big.csv",
                                      "bytes": len(data)}
    assert r.headers["Location"] == f"/a%40b/axis/api/jobs/{job_id}"
    assert reply["events"] == f"/a%40b/axis/api/jobs/{job_id}/events"
    # follow the events to the end (token auth, as RemoteStore does)
    r = await jp_fetch("axis", "api", "jobs", job_id, "events")
    blocks = [b for b in r.body.decode().split("\n\n") if b.strip()]
    names = [line.split(": ", 1)[1] for b in blocks for line in b.split("\n")
             if line.startswith("event: ")]
    assert names[0] == "job" and names[-2:] == ["result", "done"]
    job = strict_json(await api("GET", "jobs", job_id))
    assert job["state"] == "succeeded" and job["result"]["rows"] == 60_000
    assert axis_state.store.info("big")["records"] == 60_000
    # the temporary upload folder is gone
    assert not list(tmp_path.glob("**/axis-upload-*"))


async def test_upload_temp_files_cleaned_on_error(api, axis_state, tmp_path, monkeypatch):
    monkeypatch.setattr(axis_state, "upload_dir", str(tmp_path))
    body, ctype = multipart({"name": "1bad"}, ("a.csv", EVAL_CSV))
    r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype})
    assert r.code == 400
    assert not list(tmp_path.glob("axis-upload-*"))
    body, ctype = multipart({"name": "fine"}, ("a.csv", EVAL_CSV))
    r = await api("POST", "datasets", body=body, headers={"Content-Type": ctype},
                  params={"wait": "1"})
    assert r.code == 201
    assert not list(tmp_path.glob("axis-upload-*"))


# ----------------------------------------------------------------------------- multipart
@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 100_000])
def test_multipart_parser_any_chunking(tmp_path, chunk):
    payload = b"a,b\r\n1,2\r\n--not-the-boundary\r\n\r\n" * 50
    body, ctype = multipart({"name": "x", "mapping": json.dumps({"a": "b"})},
                            ("../../etc/evil name.csv", payload))
    mp = MultipartStream(boundary_from(ctype), tmp_path)
    for i in range(0, len(body), chunk):
        mp.feed(body[i:i + chunk])
    mp.close()
    assert mp.fields == {"name": "x", "mapping": '{"a": "b"}'}
    assert mp.filename == "evil name.csv" and mp.file_path.parent == tmp_path
    assert mp.file_path.read_bytes() == payload and mp.file_bytes == len(payload)


def test_multipart_parser_errors(tmp_path):
    body, ctype = multipart({"name": "x"}, ("a.csv", b"1"))
    mp = MultipartStream(boundary_from(ctype), tmp_path)
    mp.feed(body[:-10])
    with pytest.raises(UploadError, match="cut off"):
        mp.close()
    with pytest.raises(UploadError, match="multipart/form-data"):
        boundary_from("text/csv")
    with pytest.raises(UploadError, match="boundary"):
        boundary_from("multipart/form-data")
    two, ctype = multipart({}, ("a.csv", b"1"))
    two = two.replace(b"--axisBoundary7MA4YWxkTrZu0gW--", two.split(b"\r\n", 1)[0] + b"\r\n"
                      + two.split(b"\r\n", 1)[1])
    mp = MultipartStream(boundary_from(ctype), tmp_path / "x")
    (tmp_path / "x").mkdir()
    with pytest.raises(UploadError, match="exactly one"):
        mp.feed(two)


# ----------------------------------------------------------------------------- job runner
def test_job_lifecycle_progress_log_result():
    runner = JobRunner(max_workers=2)
    try:
        def work(job):
            job.progress(done=1, total=2)
            job.log("one")
            job.progress(done=2)
            return {"ok": True}

        job = runner.start("t", work, params={"p": 1}, owner="me")
        assert job.wait_sync(30)
        assert job.state == "succeeded" and job.result == {"ok": True}
        assert job.progress_data == {"done": 2, "total": 2}
        d = job.to_dict()
        assert d["owner"] == "me" and d["params"] == {"p": 1} and d["finished"]
        names = [e.event for e in job.events_after(0)]
        assert names == ["progress", "progress", "progress", "log", "progress", "result", "done"]
        assert runner.get(job.id) is job and runner.list("t") == [job] and runner.list("x") == []
        with pytest.raises(NotFoundError):
            runner.get("nope")
    finally:
        runner.shutdown()


def test_job_key_allows_one_at_a_time():
    runner = JobRunner()
    gate = threading.Event()
    try:
        job = runner.start("sync", lambda j: gate.wait(30), key="source:a")
        with pytest.raises(ConflictError, match="already"):
            runner.start("sync", lambda j: None, key="source:a")
        other = runner.start("sync", lambda j: None, key="source:b")  # other keys are fine
        assert runner.running("source:a") is job
        gate.set()
        assert job.wait_sync(30) and other.wait_sync(30)
        assert runner.running("source:a") is None
        again = runner.start("sync", lambda j: "again", key="source:a")
        assert again.wait_sync(30) and again.result == "again"
    finally:
        gate.set()
        runner.shutdown()


def test_job_cancel_running_and_queued():
    runner = JobRunner(max_workers=1)
    started = threading.Event()
    try:
        def work(job):
            started.set()
            while True:
                job.check_cancelled()
                job.cancel_event.wait(0.01)

        running = runner.start("t", work)
        queued = runner.start("t", lambda j: "never")
        assert started.wait(30)
        runner.cancel(queued.id)
        assert queued.state == "cancelled" and queued.started is None
        runner.cancel(running.id)
        assert running.wait_sync(30) and running.state == "cancelled"
        done = runner.start("t", lambda j: 1)
        assert done.wait_sync(30)
        with pytest.raises(ConflictError):
            runner.cancel(done.id)
    finally:
        runner.shutdown()


def test_job_failures():
    from axis_jupyter.errors import IngestError

    runner = JobRunner()
    try:
        def axis_fail(job):
            raise IngestError("line 3: bad number")

        def bug(job):
            return 1 / 0

        def ignores_cancel(job):
            job.cancel_event.wait(30)
            raise JobCancelled()

        a, b = runner.start("t", axis_fail), runner.start("t", bug)
        assert a.wait_sync(30) and b.wait_sync(30)
        assert (a.state, a.error, a.error_type) == ("failed", "line 3: bad number", "bad_input")
        assert b.state == "failed" and b.error_type == "internal"
        assert "ZeroDivisionError" not in b.error and f"job {b.id}" in b.error
        c = runner.start("t", ignores_cancel)
        runner.cancel(c.id)
        assert c.wait_sync(30) and c.state == "cancelled"
    finally:
        runner.shutdown()


async def test_async_job_and_cancel():
    runner = JobRunner()
    try:
        async def work(job):
            job.progress(stage="streaming")
            await asyncio.Event().wait()  # until cancelled

        job = runner.start("copilot", work)
        while job.state != "running":
            await asyncio.sleep(0)
        runner.cancel(job.id)
        await job.wait()
        assert job.state == "cancelled"
        assert [e.event for e in job.events_after(0)][-2:] == ["error", "done"]

        async def ok(job):
            return "answer"

        job2 = runner.start("copilot", ok)
        await job2.wait()
        assert job2.result == "answer"
    finally:
        runner.shutdown()


def test_finished_jobs_are_pruned():
    runner = JobRunner(keep=3)
    try:
        jobs = [runner.start("t", lambda j: None) for _ in range(6)]
        for j in jobs:
            assert j.wait_sync(30)
        runner.start("t", lambda j: None).wait_sync(30)
        assert len(runner.list()) <= 4
    finally:
        runner.shutdown()
