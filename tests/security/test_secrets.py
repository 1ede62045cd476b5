"""Secrets stay secret: no request can read an environment variable of the server back, a
source's password comes only from an allowed variable, sources can be removed, and the
kernel secret acts as the server's owner through the configured authorizer.

Everything runs against the real Jupyter server (pytest-jupyter) and the session's real
PostgreSQL; the server's own secrets are real environment variables of this process.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
import uuid

import httpx
import psycopg
import pytest
import yaml
from jupyter_server.auth.authorizer import Authorizer

from axis_jupyter.errors import ConfigError, ConflictError, NotFoundError

pytestmark = pytest.mark.postgres

SERVER_SECRETS = ("ANTHROPIC_API_KEY", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "JUPYTER_TOKEN")


class DenySyncWrite(Authorizer):
    """Lets everyone read anything but nobody change sync sources; records what it saw."""

    seen: list[tuple[str, str, str]] = []

    def is_authorized(self, handler, user, action, resource):
        if "/axis/api/" in handler.request.path:
            DenySyncWrite.seen.append((user.name, action, resource))
        return not (resource == "axis:sync" and action == "write")


@pytest.fixture
def jp_server_config(axis_store_path, request):
    from traitlets.config import Config

    cfg = {"ServerApp": {"jpserver_extensions": {"axis_jupyter_server": True}},
           "AxisExtension": {"store_path": str(axis_store_path)}}
    if "authorizer" in request.node.name:
        cfg["ServerApp"]["authorizer_class"] = DenySyncWrite
    if "without_a_token" in request.node.name:  # password login only
        from jupyter_server.auth import passwd

        cfg["ServerApp"]["token"] = ""
        cfg["PasswordIdentityProvider"] = {"hashed_password": passwd("pw-" + secrets.token_hex(4))}
    return Config(cfg)


@pytest.fixture
def probes(monkeypatch, axis_state) -> dict[str, str]:
    """The server's secrets (set in its environment) and one allowed source password."""
    values = {}
    for name in SERVER_SECRETS + ("PROBE_PRIVATE_KEY",):
        values[name] = f"probe-{name.lower()}-{secrets.token_hex(8)}"
        monkeypatch.setenv(name, values[name])
    values["AXIS_SOURCE_LEAK_PASSWORD"] = "pw-" + secrets.token_hex(8)
    monkeypatch.setenv("AXIS_SOURCE_LEAK_PASSWORD", values["AXIS_SOURCE_LEAK_PASSWORD"])
    values["AXIS_SERVER_TOKEN"] = axis_state.secret
    return values


@pytest.fixture
def pg_inputs(pg_uri):
    """(uri, schema): a schema with 20 unscored evaluation inputs."""
    schema = "s_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg_uri, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"""CREATE TABLE {schema}.cases AS
            SELECT 'case_' || i AS dataset_id, 'question ' || i AS query, 'answer ' || i AS actual_output
            FROM generate_series(1, 20) i""")
    yield pg_uri, schema
    with psycopg.connect(pg_uri, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


class Replies:
    """Every answer body the test saw, to search for leaked values at the end."""

    def __init__(self, api):
        self.api, self.bodies = api, []

    async def __call__(self, method, *parts, body=None):
        r = await self.api(method, *parts, body=body)
        text = (r.body or b"").decode("utf-8", "replace")
        self.bodies.append(f"{method} {'/'.join(parts)} -> {r.code}: {text}")
        return r.code, (json.loads(text) if text.startswith("{") else text)

    def leaks(self, values: dict[str, str]) -> list[str]:
        return [f"{name} in {b[:120]}" for b in self.bodies for name, v in values.items() if v in b]


async def _wait_job(call, job_id: str) -> dict:
    for _ in range(600):
        code, job = await call("GET", "jobs", job_id)
        assert code == 200
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def _source(name, url, **extra):
    return {"name": name, "kind": "evals", "url": url, "dataset_query": "SELECT 1 AS query", **extra}


async def test_no_request_reads_an_environment_variable_back(api, probes, pg_inputs, source_dir):
    call = Replies(api)
    uri, schema = pg_inputs
    # 1. ${VAR} anywhere in a url is refused (it used to be expanded into the target shown back).
    for var in (*SERVER_SECRETS, "AXIS_SERVER_TOKEN", "PROBE_PRIVATE_KEY", "AXIS_SOURCE_LEAK_PASSWORD"):
        for url in (f"postgresql://u@${{{var}}}/db", f"postgresql://${{{var}}}@h/db",
                    f"postgresql://u@h/${{{var}}}", f"postgresql://u:${{{var}}}@h/db",
                    f"postgresql://u@h/db?host=${{{var}}}"):
            code, body = await call("POST", "sync", "sources", body=_source("x", url))
            assert code == 400 and "'url'" in body["error"], (url, body)
    # 2. password_env may name only allowed variables, never the server's own secrets.
    for var in (*SERVER_SECRETS, "AXIS_SERVER_TOKEN", "PROBE_PRIVATE_KEY", "HOME"):
        code, body = await call("POST", "sync", "sources",
                                body=_source("x", "postgresql://u@h/db", password_env=var))
        assert code == 400 and "'password_env'" in body["error"] and var in body["error"], body
    # 3. Nor may a url name files of the server for libpq to read, or carry a secret.
    for param in ("passfile=/etc/passwd", "sslkey=/etc/ssl/private/k.pem", "pass%66ile=/x",
                  "sslrootcert=/x", "service=prod", "password=x"):
        code, body = await call("POST", "sync", "sources",
                                body=_source("x", f"postgresql://u@h/db?{param}"))
        assert code == 400 and "'url'" in body["error"], (param, body)
    code, body = await call("GET", "sync", "sources")
    assert code == 200 and body["sources"] == []  # nothing refused was written
    # 4. An allowed password, and queries with ${...} text: used as written, never expanded.
    query = (f"SELECT dataset_id, query || ' ${{ANTHROPIC_API_KEY}}' AS query, actual_output "
             f"FROM {schema}.cases")
    code, body = await call("POST", "sync", "sources", body={
        "name": "leak", "kind": "evals", "url": uri, "dataset_query": query,
        "password_env": "AXIS_SOURCE_LEAK_PASSWORD"})
    assert code == 200 and body["source"]["has_password"] is True
    code, body = await call("POST", "sync", "leak")
    assert code == 202
    job = await _wait_job(call, body["job"]["id"])
    assert job["state"] == "succeeded", job
    code, rows = await call("GET", "datasets", "leak", "rows")
    assert code == 200 and rows["rows"][0]["query"].endswith(" ${ANTHROPIC_API_KEY}")
    # 5. A source that fails (nothing listens there) reports its error without the password.
    code, body = await call("POST", "sync", "sources", body=_source(
        "down", "postgresql://axis@127.0.0.1:9/prod", password_env="AXIS_SOURCE_LEAK_PASSWORD"))
    assert code == 200
    code, body = await call("POST", "sync", "down")
    job = await _wait_job(call, body["job"]["id"])
    assert job["state"] == "failed" and job["error"]
    # 6. Everything that shows sources, their status, jobs and events.
    for parts in (("sync", "sources"), ("sync",), ("sync", "leak"), ("sync", "down"),
                  ("sync", "leak", "events"), ("sync", "down", "events"), ("jobs",),
                  ("database", "stats"), ("openapi.json",)):
        code, _ = await call("GET", *parts)
        assert code == 200, parts
    # 7. The database browser: a configured source, and ${...} typed into the form.
    code, body = await call("POST", "database", "connect", body={"source": "leak"})
    assert code == 200 and body["handle"]
    code, body = await call("POST", "database", "connect", body={"source": "down"})
    assert code == 400
    code, body = await call("POST", "database", "connect", body={
        "host": "/nonexistent/${ANTHROPIC_API_KEY}", "database": "${JUPYTERHUB_API_TOKEN}",
        "username": "${AXIS_SERVER_TOKEN}", "password": "${PROBE_PRIVATE_KEY}"})
    assert code == 400
    # 8. Hand-written files cannot reach the server's secrets either; errors name the key only.
    hand = source_dir / "sources" / "hand.yaml"
    for section in ({"url": "postgresql://u@${ANTHROPIC_API_KEY}/db"},
                    {"url": "postgresql://u@h/db", "password": "${ANTHROPIC_API_KEY}"},
                    {"url": "postgresql://u@h/db", "password_env": "AXIS_SERVER_TOKEN"}):
        hand.write_text(yaml.safe_dump({"eval_db": {"enabled": True, "dataset_query": "SELECT 1",
                                                    **section}}))
        code, body = await call("GET", "sync", "sources")
        assert code == 400 and "hand.yaml" in body["error"], body
        code, _ = await call("GET", "sync")
        assert code == 200
    code, _ = await call("DELETE", "sync", "sources", "hand")  # a file that no longer validates
    assert code == 200 and not hand.exists()
    code, body = await call("GET", "sync", "sources")
    assert code == 200 and {s["name"] for s in body["sources"]} == {"leak", "down"}
    assert len(call.bodies) > 60
    assert call.leaks(probes) == []


async def test_sources_can_be_removed(api, probes, pg_inputs, source_dir, base_http):
    from axis_jupyter import RemoteStore

    call = Replies(api)
    uri, schema = pg_inputs
    slow = f"SELECT c.*, pg_sleep(0.2) IS NULL AS z FROM {schema}.cases c"
    code, _ = await call("POST", "sync", "sources", body={
        "name": "slow", "kind": "evals", "url": uri, "dataset_query": slow})
    assert code == 200
    code, started = await call("POST", "sync", "slow")
    assert code == 202
    code, body = await call("DELETE", "sync", "sources", "slow")
    assert code == 409 and "running" in body["error"]
    code, _ = await call("DELETE", "sync", "slow")  # cancel the sync
    assert code == 200
    job = await _wait_job(call, started["job"]["id"])
    assert job["state"] == "cancelled"
    code, body = await call("DELETE", "sync", "sources", "slow")
    assert code == 200 and body["success"] is True
    assert not (source_dir / "sources" / "slow.yaml").exists()
    code, body = await call("GET", "sync", "sources")
    assert body["sources"] == []
    code, body = await call("DELETE", "sync", "sources", "slow")
    assert code == 404
    code, body = await call("DELETE", "sync", "sources", "never_there")
    assert code == 404
    # The same from a kernel: axis.remove_source() on the server's store.
    remote = RemoteStore(base_http + "axis/api/", probes["AXIS_SERVER_TOKEN"])
    try:
        await asyncio.to_thread(remote.add_source, "k", "evals", uri,
                                f"SELECT * FROM {schema}.cases")
        assert (source_dir / "sources" / "k.yaml").exists()
        await asyncio.to_thread(remote.remove_source, "k")
        assert not (source_dir / "sources" / "k.yaml").exists()
        with pytest.raises(NotFoundError):
            await asyncio.to_thread(remote.remove_source, "k")
    finally:
        remote.close()
    assert call.leaks(probes) == []


def test_remove_source_in_python(store, source_dir, pg_inputs):
    from axis_jupyter import sync

    uri, schema = pg_inputs
    store.add_source("slow", "evals", uri, f"SELECT c.*, pg_sleep(0.2) IS NULL AS z FROM {schema}.cases c")
    errors: list[BaseException] = []

    def run():
        try:
            sync.sync(store, "slow")
        except BaseException as exc:  # noqa: BLE001 - the cancelled sync raises; kept for the assert
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        for _ in range(400):
            if sync.is_running(store, "slow"):
                break
            time.sleep(0.025)
        assert sync.is_running(store, "slow")
        with pytest.raises(ConflictError):
            store.remove_source("slow")
    finally:
        sync.cancel(store, "slow")
        worker.join(60)
    assert len(errors) == 1 and not worker.is_alive()
    store.remove_source("slow")
    assert not (source_dir / "sources" / "slow.yaml").exists()
    with pytest.raises(NotFoundError):
        store.remove_source("slow")
    (source_dir / "monitoring_db.yaml").write_text(yaml.safe_dump({"monitoring_db": {
        "enabled": False, "host": "db", "dataset_query": "SELECT 1"}}))
    with pytest.raises(ConfigError, match="monitoring_db.yaml"):
        store.remove_source("monitoring")  # a hand-written reference file stays the user's


def test_allow_list_is_configurable_but_never_reaches_server_secrets(source_dir, monkeypatch):
    from axis_jupyter.sync import config as sconfig

    def save(var):
        return sconfig.save_source("s", "evals", "postgresql://u@h/db", "SELECT 1", password_env=var)

    for ok in ("AXIS_SOURCE_S_PASSWORD", "PROD_DB_PASSWORD", "PGPASSWORD"):
        assert save(ok).password_env == ok
    with pytest.raises(ConfigError, match="'password_env'"):
        save("TEAM_DB_SECRET")
    monkeypatch.setenv("AXIS_SOURCE_ENV_ALLOW", "TEAM_DB_*, *")
    assert save("TEAM_DB_SECRET").password_env == "TEAM_DB_SECRET"
    for never in ("AXIS_SERVER_TOKEN", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN",
                  "ANTHROPIC_API_KEY", "JUPYTER_TOKEN"):
        with pytest.raises(ConfigError, match="server's own secrets"):
            save(never)


async def test_kernel_secret_goes_through_the_configured_authorizer(api, axis_state, base_http,
                                                                    source_dir):
    """DenySyncWrite lets nobody change sources: not the Jupyter token, not the kernel."""
    from axis_jupyter import RemoteStore

    body = _source("k", "postgresql://u@h/db")
    r = await api("POST", "sync", "sources", body=body)
    assert r.code == 403  # the owner's Jupyter token
    DenySyncWrite.seen = []
    kernel = {"Authorization": f"axis-token {axis_state.secret}"}
    async with httpx.AsyncClient(headers=kernel) as c:
        r = await c.get(base_http + "axis/api/sync/sources")
        assert r.status_code == 200
        r = await c.post(base_http + "axis/api/sync/sources", json=body)
        assert r.status_code == 403
        r = await c.post(base_http + "axis/api/sync", content=b"")
        assert r.status_code == 403
        r = await c.delete(base_http + "axis/api/sync/sources/k")
        assert r.status_code == 403
        # The secret opens /axis/api as the owner, and never becomes a login cookie.
        assert "set-cookie" not in r.headers and not c.cookies
        r = await c.get(base_http + "api/contents")
        assert r.status_code == 403
    assert [(a, res) for _, a, res in DenySyncWrite.seen] == [
        ("read", "axis:sync"), ("write", "axis:sync"), ("write", "axis:sync"), ("write", "axis:sync")]
    assert "AXIS kernel client" not in {u for u, _, _ in DenySyncWrite.seen}
    assert not (source_dir / "sources" / "k.yaml").exists()
    remote = RemoteStore(base_http + "axis/api/", axis_state.secret)
    try:
        with pytest.raises(Exception, match="403|refused"):
            await asyncio.to_thread(remote.add_source, "k", "evals", "postgresql://u@h/db", "SELECT 1")
    finally:
        remote.close()


async def test_kernel_secret_on_a_server_without_a_token_through_the_authorizer(
        jp_serverapp, axis_state, base_http, source_dir):
    """With password login only, the owner is the identity provider's anonymous user."""
    assert jp_serverapp.identity_provider.token == ""
    DenySyncWrite.seen = []
    async with httpx.AsyncClient(headers={"Authorization": f"axis-token {axis_state.secret}"}) as c:
        r = await c.get(base_http + "axis/api/sync/sources")
        assert r.status_code == 200
        r = await c.post(base_http + "axis/api/sync/sources", json=_source("k", "postgresql://u@h/db"))
        assert r.status_code == 403
        assert not c.cookies
    async with httpx.AsyncClient() as c:  # no credential at all
        r = await c.get(base_http + "axis/api/sync/sources")
        assert r.status_code == 403
    assert [(a, res) for _, a, res in DenySyncWrite.seen] == [("read", "axis:sync"),
                                                              ("write", "axis:sync")]
    assert all(u.startswith("Anonymous") for u, _, _ in DenySyncWrite.seen)
