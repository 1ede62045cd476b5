"""Server-side loading reads only files the user could open, and never echoes their content.

``POST evals/runs`` (and the runner view's ``start``) used to load any server file named in
``source``, and a failed load quoted the file's first line (``/etc/passwd`` ->
"root:x:0:0:..."). Now a source is a dataset or a file inside the Jupyter root that the
contents API would serve this user, and load errors over HTTP (eval runs, uploads, database
imports) name lines and column positions only. The Python API still quotes the user's own
data in its messages.
"""

from __future__ import annotations

import json
import secrets
import uuid

import psycopg
import pytest
from axis_helpers import multipart
from jupyter_server.auth.authorizer import Authorizer

from axis_jupyter.errors import IngestError

SECRET = f"root:x:0:0:probe-{secrets.token_hex(6)}:/root:/bin/bash"
INPUTS = "query,actual_output,expected_output\nWhat is 2+2?,4,4\nCapital of France?,Paris,Paris\n"


class NoContents(Authorizer):
    """Everything allowed except reading files through the contents API."""

    def is_authorized(self, handler, user, action, resource):
        return resource != "contents"


@pytest.fixture
def jp_server_config(axis_store_path, request):
    from traitlets.config import Config

    cfg = {"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
           "AxisExtension": {"store_path": str(axis_store_path)}}
    if "contents_permission" in request.node.name:
        cfg["ServerApp"]["authorizer_class"] = NoContents
    return Config(cfg)


def _body(r) -> str:
    return (r.body or b"").decode("utf-8", "replace")


async def _run(api, source, **extra):
    return await api("POST", "evals", "runs", body={"source": source, "metrics": ["exact_match"],
                                                     **extra})


async def _finished(api, axis_state, job_id) -> list[str]:
    """Wait for the job; every answer that shows it (run, job, list, events)."""
    await axis_state.jobs.get(job_id).wait()
    bodies = []
    for parts in (("evals", "runs", job_id), ("jobs", job_id), ("jobs",), ("evals", "runs"),
                  ("jobs", job_id, "events")):
        r = await api("GET", *parts)
        assert r.code == 200, parts
        bodies.append(_body(r))
    return bodies


async def test_eval_runs_read_only_files_the_user_could_open(api, axis_state, jp_root_dir,
                                                            tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text(f"{SECRET}\nsecond line\n")
    (jp_root_dir / ".private.csv").write_text(f"{SECRET}\nsecond line\n")
    (jp_root_dir / ".hidden").mkdir()
    (jp_root_dir / ".hidden" / "inputs.csv").write_text(INPUTS)
    (jp_root_dir / "link.csv").symlink_to(secret)
    (jp_root_dir / "data").mkdir()
    refused = [(str(secret), 400), ("/etc/passwd", 400), ("../outside/secret.csv", 400),
               ("data/../../outside/secret.csv", 400), ("data/../inputs.csv", 400),
               (".private.csv", 404), (".hidden/inputs.csv", 404), ("link.csv", 404),
               ("data", 404), ("missing.csv", 404), ("no_such_dataset", 404)]
    for source, code in refused:
        r = await _run(api, source)
        assert r.code == code, (source, r.code, _body(r))
        assert SECRET not in _body(r) and str(tmp_path) not in _body(r)
    assert axis_state.jobs.list("eval_run") == []  # nothing was even started
    # Files inside the root load, by a relative or an absolute path.
    good = jp_root_dir / "data" / "inputs.csv"
    good.write_text(INPUTS)
    for i, source in enumerate(("data/inputs.csv", str(good))):
        r = await _run(api, source, name=f"good{i}")
        assert r.code == 202, _body(r)
        job_id = json.loads(r.body)["job"]["id"]
        await _finished(api, axis_state, job_id)
        assert axis_state.jobs.get(job_id).state == "succeeded"
    # A readable file that is not a table: the run fails, and says so without quoting it.
    (jp_root_dir / "notes.txt").write_text(f"{SECRET}\nsecond line\n")
    r = await _run(api, "notes.txt", name="notes")
    assert r.code == 202
    job_id = json.loads(r.body)["job"]["id"]
    bodies = await _finished(api, axis_state, job_id)
    job = axis_state.jobs.get(job_id)
    assert job.state == "failed" and "notes.txt" in job.error and "1 column" in job.error
    assert all(SECRET not in b and "second line" not in b for b in bodies)


async def test_runner_view_starts_runs_of_datasets_only(api, axis_state, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"{SECRET}\nsecond line\n")
    for source in (str(secret), "/etc/passwd"):
        r = await api("POST", "views", "runner", "start", body={
            "source": source, "metrics": ["exact_match"],
            "mapping": {"query": "a", "actual_output": "b"}})
        assert r.code == 400 and "dataset" in json.loads(r.body)["error"], _body(r)
        assert SECRET not in _body(r)
    assert axis_state.jobs.list("eval_run") == []


async def test_file_sources_need_contents_permission(api, axis_state, jp_root_dir, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    (jp_root_dir / "inputs.csv").write_text(INPUTS)
    r = await _run(api, "inputs.csv")
    assert r.code == 403
    axis_state.store.load(str(jp_root_dir / "inputs.csv"), name="inputs")
    r = await _run(api, "inputs")  # a dataset needs no file permission
    assert r.code == 202


async def test_upload_errors_do_not_echo_the_file(api, axis_state):
    data, ctype = multipart({"name": "up"}, ("passwd.csv", f"{SECRET}\nsecond line\n".encode()))
    r = await api("POST", "datasets", body=data, params={"wait": "1"},
                  headers={"Content-Type": ctype})
    assert r.code == 400, _body(r)
    error = json.loads(r.body)["error"]
    assert "passwd.csv" in error and "1 column" in error
    bad = (b"dataset_id,metric_name,metric_score\nc1,m,0.5\nc2,m," + SECRET.encode() + b"\n")
    data, ctype = multipart({"name": "up2"}, ("scores.csv", bad))
    r = await api("POST", "datasets", body=data, params={"wait": "1"},
                  headers={"Content-Type": ctype})
    assert r.code == 400 and "line 3, column 3" in json.loads(r.body)["error"]
    r = await api("GET", "jobs")
    assert r.code == 200 and "upload" in _body(r)
    jobs = [_body(await api("GET", "jobs", j.id)) for j in axis_state.jobs.list("upload")]
    assert len(jobs) == 2
    assert all(SECRET not in b and "second line" not in b for b in [_body(r), *jobs])


def test_python_api_still_quotes_the_users_own_file(store, tmp_path):
    p = tmp_path / "scores.csv"
    p.write_text(f"dataset_id,metric_name,metric_score\nc1,m,0.5\nc2,m,not-a-{SECRET}\n")
    with pytest.raises(IngestError) as info:
        store.load(str(p), name="s")
    assert SECRET in str(info.value)  # in Python the user sees their own value
    assert SECRET not in info.value.public and "line 3, column 3" in info.value.public


@pytest.mark.postgres
async def test_database_import_errors_do_not_echo_the_data(api, pg_uri):
    from urllib.parse import parse_qs, urlparse

    schema = "f_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg_uri, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.scores AS SELECT 'c1' AS dataset_id, 'm' AS metric_name,"
                     f" '{SECRET}' AS metric_score")
    try:
        sock = parse_qs(urlparse(pg_uri).query)["host"][0]
        r = await api("POST", "database", "connect", body={
            "host": sock, "database": "postgres", "username": "postgres"})
        assert r.code == 200, _body(r)
        handle = json.loads(r.body)["handle"]
        for action, body in (("query-import", {"query": f"SELECT * FROM {schema}.scores",
                                               "name": "imp", "kind": "evals"}),
                             ("import", {"table": "scores", "schema": schema, "name": "imp2",
                                         "kind": "evals"})):
            r = await api("POST", "database", handle, action, body=body)
            assert r.code == 400, (action, _body(r))
            assert "column 3" in json.loads(r.body)["error"] and SECRET not in _body(r)
    finally:
        with psycopg.connect(pg_uri, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
